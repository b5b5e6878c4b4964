export { BRAVE_MODES, FAKE_BRAVE_KEY, startFakeBrave, type BraveMode, type FakeBrave } from "./fake-brave.js";
export { DUCKDUCKGO_MODES, startFakeDuckDuckGo, type DuckDuckGoMode, type FakeDuckDuckGo } from "./fake-duckduckgo.js";
export { COMMON_MODES, FakeSearchServer, type CommonMode, type FakeResponse, type ModeSettings, type RecordedRequest } from "./fake-http-server.js";
export { SEARXNG_MODES, startFakeSearxng, type FakeSearxng, type FakeSearxngOptions, type SearxngMode } from "./fake-searxng.js";
export { DUCKDUCKGO_HITS } from "./duckduckgo-fixture.js";
export { SEARXNG_LONG_CONTENT, type SearxngHit } from "./searxng-fixture.js";

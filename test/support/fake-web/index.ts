export { fakeDns, type FakeRecord } from "./fake-dns.js";
export { redirect, serve, startFakeWeb, type FakeHandler, type FakeWeb, type SeenRequest } from "./fake-web-server.js";
export { articlePage, loopbackTestPolicy } from "./pages.js";

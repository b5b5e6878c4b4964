// A local stand-in for Hugging Face (or a mirror) and the model files it serves, for `burrow models pull`.
export { startFakeModelHost, type FakeModelHost, type FakeModelHostOptions, type HostRequest } from "./fake-model-host.js";
export { buildDownloadableModel } from "./downloadable-model.js";
export { writeTestCatalog, type TestCatalogEntry } from "./test-catalog.js";
export { finishedChunks } from "./partial-download.js";

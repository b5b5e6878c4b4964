export { defaultAddressPolicy, type AddressPolicy } from "./address-policy.js";
export { systemLookup } from "./address-guard.js";
export { formatPageForModel } from "./format-for-model.js";
export { PAGE_READ_FAILURES, PageReadError, type PageReadFailure } from "./page-read-error.js";
export { PAGE_READER_DEFAULTS, PageReader, type PageReaderOptions, type PageText, type ReadPageOptions } from "./page-reader.js";
export { normalizePageUrl, type AllowedUrls } from "./page-url.js";
export { approximateTokens, fitToTokens, TRUNCATION_MARKER, type TokenCounter } from "./token-budget.js";

import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { describeError, ModelFileError } from "../src/errors.js";
import { inspectModelFile, type ModelFileInfo } from "./model-file.js";
import { ModelPullError } from "./model-pull-errors.js";

export interface VerifyRequest {
  readonly model: string;
  readonly path: string;
  readonly expectedBytes: number;
  /** Lower-case hex; when undefined the hash is only computed and recorded. */
  readonly expectedSha256: string | undefined;
  readonly expectedArchitecture: string | undefined;
  /** Where the file came from, for the message when it is bad. */
  readonly host: string;
}

export interface Verified {
  readonly info: ModelFileInfo;
  readonly sha256: string;
  readonly ms: number;
}

/**
 * Checks a downloaded file before it may be used, cheapest first: its size, that it is a whole GGUF model
 * llama.cpp can load (header, metadata, every tensor inside the file: models/model-file.ts), its architecture,
 * and its SHA-256 (always computed, for the registry; compared when known).
 */
export async function verifyDownload(request: VerifyRequest): Promise<Verified> {
  const started = performance.now();
  const bad = (what: string, cause?: unknown): never => {
    throw new ModelPullError(request.model, "invalid", `The download of ${request.model} is not the expected model: ${what}. It was deleted; nothing was installed.`, {
      hint: `Run the same command to download it again. If it fails the same way, the host (${request.host}) serves a damaged or different file.`,
      cause,
    });
  };
  let bytes = 0;
  try {
    bytes = statSync(request.path).size;
  } catch (error) {
    bad("the downloader left no file", error);
  }
  if (bytes !== request.expectedBytes) bad(`it has ${bytes} bytes instead of ${request.expectedBytes}`);
  let info: ModelFileInfo;
  try {
    info = await inspectModelFile(request.path);
  } catch (error) {
    // The first line says what is wrong; the model-file hint ("set BURROW_MODEL") does not apply to a download.
    const what = error instanceof ModelFileError ? error.message : describeError(error);
    return bad(what.replace(`${request.path} `, "the file ").replace(/\.$/, ""), error);
  }
  if (request.expectedArchitecture && info.architecture !== request.expectedArchitecture) {
    bad(`it is a ${info.architecture} model, not ${request.expectedArchitecture}`);
  }
  const sha256 = await sha256File(request.path);
  if (request.expectedSha256 && sha256 !== request.expectedSha256) bad(`its SHA-256 is ${sha256}, expected ${request.expectedSha256}`);
  return { info, sha256, ms: performance.now() - started };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

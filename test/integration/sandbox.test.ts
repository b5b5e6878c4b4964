import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, linkSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explainBwrapFailure } from "../../tools/code-exec/bwrap-failure.js";
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_OUTPUT_BYTES,
  probeSandbox,
  Sandbox,
  SandboxInputError,
  SandboxUnavailableError,
  type SandboxLanguage,
  type SandboxRunResult,
} from "../../tools/code-exec/index.js";
import { classifyOutcome, decodeExit } from "../../tools/code-exec/outcome.js";
import { processesMentioning } from "../support/processes.js";
import { countingServer, liveDescendants, newTempFilesContaining, tempEntries } from "../support/sandbox-host-state.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * The code sandbox's conformance suite, run for real in bubblewrap: every attack from FIELD-NOTES.md in
 * Python and (where it means something) JavaScript, each asserting the exact way it fails, plus checks on
 * the host that nothing got out. Nothing is skipped: if bwrap cannot run here, every test fails with the
 * probe's reason and fix (CI installs bubblewrap).
 */

const sandbox = new Sandbox();
/** Runs as root switch to nobody; otherwise the code keeps the test's own uid (in a user namespace). */
const SANDBOX_UID = process.getuid!() === 0 ? 65_534 : process.getuid!();
const SECRET_NAME = "BURROW_SANDBOX_TEST_SECRET";
const secret = `secret-${randomBytes(12).toString("hex")}`;
const MAX_OUTPUT = DEFAULT_MAX_OUTPUT_BYTES;
const REPO_ROOT = resolve(import.meta.dirname, "../..");

function marker(): string {
  return `m${randomBytes(6).toString("hex")}`;
}

function run(language: SandboxLanguage, code: string, options: { stdin?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SandboxRunResult> {
  return sandbox.run({ language, code, ...options });
}

/** Waits for `condition` (polling), for what the host observes asynchronously. */
async function eventually(condition: () => boolean, ms = 2_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}

/** Live processes this test process started (the sandbox runs'), seen from the host. */
const sandboxProcesses = (): number[] => liveDescendants(process.pid);

/** Samples the number of this suite's sandbox processes while `work` runs; returns the peak. */
async function peakProcesses<T>(work: Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, sandboxProcesses().length)), 15);
  try {
    return { result: await work, peak };
  } finally {
    clearInterval(timer);
  }
}

beforeAll(async () => {
  process.env[SECRET_NAME] = secret;
  const probe = await probeSandbox();
  if (!probe.available) throw new Error(`The code sandbox is not available here: ${probe.reason}\nFix: ${probe.hint}`);
  expect(sandboxProcesses()).toEqual([]);
});

afterAll(() => {
  delete process.env[SECRET_NAME];
});

describe("probe", () => {
  it("finds a working sandbox for both languages by running them in it", async () => {
    const probe = await probeSandbox();
    expect(probe).toEqual({
      available: true,
      bwrapVersion: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      languages: { python: { available: true }, javascript: { available: true } },
    });
  });

  it("a missing python3 turns off Python only, with the reason and the fix", async () => {
    const options = { pythonPath: "/nonexistent/python3" };
    const probe = await probeSandbox(options);
    expect(probe).toEqual({
      available: true,
      bwrapVersion: expect.any(String),
      languages: {
        python: { available: false, reason: "the Python interpreter /nonexistent/python3 does not exist or is not executable", hint: expect.stringContaining("python3") },
        javascript: { available: true },
      },
    });
    const withoutPython = new Sandbox(options);
    const error = await withoutPython.run({ language: "python", code: "print(1)" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect(error).toMatchObject({ code: "sandbox_unavailable", language: "python", reason: expect.stringContaining("/nonexistent/python3") });
    expect((await withoutPython.run({ language: "javascript", code: "console.log(1)" })).stdout).toBe("1\n");
  });

  it("names the exact kernel setting and fix when user namespaces are blocked", () => {
    const apparmor = explainBwrapFailure("bwrap: setting up uid map: Permission denied\n", "/usr/bin/bwrap", {
      sysctl: (path) => (path.endsWith("apparmor_restrict_unprivileged_userns") ? "1" : undefined),
      inContainer: () => false,
    });
    expect(apparmor.reason).toBe(
      "AppArmor blocks unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1), which bubblewrap needs (bwrap said: bwrap: setting up uid map: Permission denied)",
    );
    expect(apparmor.hint).toContain("profile bwrap /usr/bin/bwrap flags=(unconfined) { userns,");
    expect(apparmor.hint).toContain("sudo apparmor_parser -r /etc/apparmor.d/bwrap");
    expect(apparmor.hint).toContain("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");

    const debian = explainBwrapFailure("bwrap: No permissions to creating new namespace\n", "/usr/bin/bwrap", {
      sysctl: (path) => (path.endsWith("unprivileged_userns_clone") ? "0" : undefined),
      inContainer: () => false,
    });
    expect(debian.hint).toContain("sudo sysctl -w kernel.unprivileged_userns_clone=1");
  });

  it("refuses to run code as root", () => {
    expect(() => new Sandbox({ uid: 0 })).toThrow(SandboxInputError);
  });

  it("reads bwrap's 128+N exit codes back as signals, and SIGXCPU as a timeout", () => {
    expect(decodeExit({ exitCode: 152, signal: null })).toEqual({ exitCode: null, signal: "SIGXCPU" });
    expect(decodeExit({ exitCode: 134, signal: null })).toEqual({ exitCode: null, signal: "SIGABRT" });
    expect(decodeExit({ exitCode: 3, signal: null })).toEqual({ exitCode: 3, signal: null });
    expect(classifyOutcome({ killedFor: undefined, exit: { exitCode: null, signal: "SIGXCPU" }, stderr: "" })).toBe("timeout");
    expect(classifyOutcome({ killedFor: undefined, exit: { exitCode: null, signal: "SIGSEGV" }, stderr: "" })).toBe("killed");
  });
});

describe("normal runs", () => {
  it("returns stdout, stderr and exit code 0 of a passing Python program", async () => {
    const result = await run("python", 'import sys\nprint("hello")\nprint("warn", file=sys.stderr)\n');
    expect(result).toEqual({
      outcome: "ok",
      exitCode: 0,
      signal: null,
      stdout: "hello\n",
      stderr: "warn\n",
      outputTruncated: false,
      timedOut: false,
      durationMs: expect.any(Number),
    });
  });

  it("returns stdout, stderr and exit code 0 of a passing JavaScript program", async () => {
    const result = await run("javascript", 'console.log("hello");\nconsole.error("warn");\n');
    expect(result).toMatchObject({ outcome: "ok", exitCode: 0, signal: null, stdout: "hello\n", stderr: "warn\n", outputTruncated: false, timedOut: false });
  });

  it("returns the traceback and exit code 1 of a failing Python program", async () => {
    const result = await run("python", 'x = 1\nraise ValueError("boom")\n');
    expect(result).toMatchObject({ outcome: "error", exitCode: 1, signal: null, stdout: "", timedOut: false });
    expect(result.stderr).toBe('Traceback (most recent call last):\n  File "/tmp/main.py", line 2, in <module>\n    raise ValueError("boom")\nValueError: boom\n');
  });

  it("returns the stack trace and exit code 1 of a failing JavaScript program", async () => {
    const result = await run("javascript", 'const x = 1;\nthrow new Error("boom");\n');
    expect(result).toMatchObject({ outcome: "error", exitCode: 1, signal: null, stdout: "" });
    expect(result.stderr).toContain("/tmp/main.js:2");
    expect(result.stderr).toContain("Error: boom");
  });

  it("passes other exit codes through", async () => {
    expect(await run("python", "import sys\nsys.exit(3)\n")).toMatchObject({ outcome: "error", exitCode: 3, signal: null });
    expect(await run("javascript", "process.exit(4);\n")).toMatchObject({ outcome: "error", exitCode: 4, signal: null });
  });

  it("passes stdin through, and gives an empty stdin when there is none", async () => {
    expect((await run("python", "print(input()[::-1])\n", { stdin: "abc\n" })).stdout).toBe("cba\n");
    expect((await run("javascript", 'process.stdout.write(require("node:fs").readFileSync(0, "utf8").toUpperCase());\n', { stdin: "abc\n" })).stdout).toBe("ABC\n");
    const noInput = await run("python", "input()\n");
    expect(noInput).toMatchObject({ outcome: "error", exitCode: 1 });
    expect(noInput.stderr).toContain("EOFError: EOF when reading a line");
  });

  it("runs JavaScript written as an ES module (import, top-level await)", async () => {
    const result = await run("javascript", 'import { setTimeout as wait } from "node:timers/promises";\nawait wait(10);\nconsole.log("esm", typeof require);\n');
    expect(result).toMatchObject({ outcome: "ok", stdout: "esm undefined\n" });
  });

  it("runs as an unprivileged uid with no capabilities, the minimal environment and the limits", async () => {
    const code = [
      "import json, os, resource, socket",
      "status = dict(line.split(':', 1) for line in open('/proc/self/status').read().splitlines())",
      "print(json.dumps({",
      "  'uid': os.getuid(), 'gid': os.getgid(), 'euid': os.geteuid(),",
      "  'capEff': status['CapEff'].strip(), 'capBnd': status['CapBnd'].strip(), 'noNewPrivs': status['NoNewPrivs'].strip(),",
      "  'env': dict(os.environ), 'cwd': os.getcwd(), 'hostname': socket.gethostname(),",
      "  'root': sorted(os.listdir('/')), 'etc': sorted(os.listdir('/etc')), 'tmp': sorted(os.listdir('/tmp')),",
      "  'limits': {n: list(resource.getrlimit(getattr(resource, 'RLIMIT_' + n))) for n in ['AS', 'CPU', 'NPROC', 'FSIZE', 'NOFILE', 'CORE']},",
      "  'fds': sorted(os.listdir('/proc/self/fd')),",
      "}))",
    ].join("\n");
    const result = await run("python", code, { timeoutMs: 3_000 });
    expect(result.stderr).toBe("");
    const limits = DEFAULT_LIMITS.python;
    // The top-level system dirs are symlinks or binds, as on the host; nothing else of the host is there.
    const topDirs = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"].filter((name) => {
      try {
        lstatSync(`/${name}`);
        return true;
      } catch {
        return false;
      }
    });
    expect(JSON.parse(result.stdout)).toEqual({
      uid: SANDBOX_UID,
      gid: SANDBOX_UID,
      euid: SANDBOX_UID,
      capEff: "0000000000000000",
      capBnd: "0000000000000000",
      noNewPrivs: "1",
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", LANG: "C.UTF-8", PWD: "/tmp" },
      cwd: "/tmp",
      hostname: "sandbox",
      root: ["dev", "etc", "proc", "tmp", "usr", ...topDirs].sort(),
      etc: ["ld.so.cache"],
      tmp: ["main.py"],
      limits: {
        AS: [limits.addressSpaceBytes, limits.addressSpaceBytes],
        CPU: [4, 5], // a 3 s wall-clock limit: the CPU backstop a second above it
        NPROC: [limits.processes, limits.processes],
        FSIZE: [limits.fileSizeBytes, limits.fileSizeBytes],
        NOFILE: [limits.openFiles, limits.openFiles],
        CORE: [0, 0],
      },
      // 0–2 are stdio, 3 is listdir's own; no descriptor of the host's is inherited.
      fds: ["0", "1", "2", "3"],
    });
  });

  it("caps the V8 heap of JavaScript and runs it with the same minimal environment", async () => {
    const result = await run("javascript", 'console.log(JSON.stringify({ env: process.env, uid: process.getuid(), heapMiB: Math.round(require("node:v8").getHeapStatistics().heap_size_limit / 1048576) }));\n');
    const parsed = JSON.parse(result.stdout) as { env: unknown; uid: number; heapMiB: number };
    expect(parsed.env).toEqual({ PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", LANG: "C.UTF-8", PWD: "/tmp" });
    expect(parsed.uid).toBe(SANDBOX_UID);
    // --max-old-space-size=256 plus V8's young generation.
    expect(parsed.heapMiB).toBeGreaterThanOrEqual(256);
    expect(parsed.heapMiB).toBeLessThan(320);
  });

  it("leaves nothing on the host: files it writes and its source live on a private tmpfs that dies with the run", async () => {
    const before = tempEntries();
    const name = marker();
    const first = await run("python", `open("/tmp/${name}.txt", "w").write("${name}")\nprint(open("/tmp/${name}.txt").read())\n# ${name}\n`);
    expect(first).toMatchObject({ outcome: "ok", stdout: `${name}\n` });
    expect(existsSync(`/tmp/${name}.txt`)).toBe(false);
    // Neither the file it wrote nor its source (which contains the marker) is anywhere in the host's temp dir.
    expect(newTempFilesContaining(before, name)).toEqual([]);
    // The next run starts from an empty /tmp again (only its own source).
    expect((await run("python", "import os\nprint(sorted(os.listdir('/tmp')))\n")).stdout).toBe("['main.py']\n");
  });

  it("runs overlapping runs in separate sandboxes", async () => {
    const names = [marker(), marker(), marker()];
    const results = await Promise.all(
      names.map((name) => run("python", `import os, time\nopen('/tmp/${name}', 'w').close()\ntime.sleep(0.3)\nprint(sorted(os.listdir('/tmp')))\n`)),
    );
    // Each sees only its own file next to its source.
    expect(results.map((result) => result.stdout)).toEqual(names.map((name) => `['${["main.py", name].sort().join("', '")}']\n`));
  });

  it("runs JavaScript with a Node binary from outside /usr (bound alone, read-only)", async () => {
    const host = makeTempDir("burrow-sandbox-node-");
    try {
      chmodSync(host.path, 0o755);
      const nodePath = join(host.path, "node");
      try {
        linkSync(process.execPath, nodePath);
      } catch {
        copyFileSync(process.execPath, nodePath);
        chmodSync(nodePath, 0o755);
      }
      const result = await new Sandbox({ nodePath }).run({ language: "javascript", code: `const fs = require("node:fs");\nconsole.log(process.execPath, fs.existsSync(${JSON.stringify(host.path)}), process.version);\n` });
      expect(result).toMatchObject({ outcome: "ok", stderr: "", stdout: `/opt/burrow-node/bin/node false ${process.version}\n` });
    } finally {
      host.remove();
    }
  });

  it("measures the overhead of one sandboxed print(1)", async () => {
    const medians: Record<string, number> = {};
    for (const [language, code] of [["python", "print(1)"], ["javascript", "console.log(1)"]] as const) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const result = await run(language, code);
        expect(result.stdout).toBe("1\n");
        times.push(result.durationMs);
      }
      medians[language] = times.sort((a, b) => a - b)[2]!;
    }
    console.info(`sandboxed print(1), median of 5: python ${medians["python"]} ms, javascript ${medians["javascript"]} ms`);
    expect(medians["python"]).toBeLessThan(3_000);
    expect(medians["javascript"]).toBeLessThan(3_000);
  });
});

describe("attack: connect out", () => {
  it("cannot reach a server on the host's loopback or the internet, and DNS fails (Python)", async () => {
    const server = await countingServer();
    try {
      // The server really accepts connections from the host.
      await new Promise<void>((resolve, reject) => connect(server.port, "127.0.0.1", resolve).on("error", reject));
      expect(await eventually(() => server.connections() === 1)).toBe(true);

      const code = [
        "import errno, socket",
        "def attempt(family, kind, address):",
        "    s = socket.socket(family, kind)",
        "    s.settimeout(3)",
        "    try:",
        "        if kind == socket.SOCK_DGRAM:",
        "            s.sendto(b'x', address)",
        "            return 'sent'",
        "        s.connect(address)",
        "        return 'connected'",
        "    except OSError as e:",
        "        return errno.errorcode.get(e.errno, repr(e))",
        "    finally:",
        "        s.close()",
        `print('loopback', attempt(socket.AF_INET, socket.SOCK_STREAM, ('127.0.0.1', ${server.port})))`,
        "print('external', attempt(socket.AF_INET, socket.SOCK_STREAM, ('1.1.1.1', 80)))",
        "print('udp', attempt(socket.AF_INET, socket.SOCK_DGRAM, ('1.1.1.1', 53)))",
        "try:",
        "    socket.getaddrinfo('example.com', 80)",
        "    print('dns resolved')",
        "except socket.gaierror as e:",
        "    print('dns', {socket.EAI_AGAIN: 'EAI_AGAIN', socket.EAI_NONAME: 'EAI_NONAME'}.get(e.errno, e.errno))",
        "print('interfaces', [name for _, name in socket.if_nameindex()])",
      ].join("\n");
      const result = await run("python", code);
      expect(result).toMatchObject({ outcome: "ok", stderr: "" });
      expect(result.stdout).toBe("loopback ECONNREFUSED\nexternal ENETUNREACH\nudp ENETUNREACH\ndns EAI_AGAIN\ninterfaces ['lo']\n");
      await sleep(100);
      expect(server.connections()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("cannot reach a server on the host's loopback or the internet, and DNS fails (JavaScript)", async () => {
    const server = await countingServer();
    try {
      const code = `
const net = require("node:net");
const dns = require("node:dns");
const attempt = (host, port) => new Promise((resolve) => {
  const socket = net.connect({ host, port });
  socket.setTimeout(3000, () => { socket.destroy(); resolve("timeout"); });
  socket.on("connect", () => { socket.destroy(); resolve("connected"); });
  socket.on("error", (error) => resolve(error.code));
});
(async () => {
  console.log("loopback", await attempt("127.0.0.1", ${server.port}));
  console.log("external", await attempt("1.1.1.1", 80));
  console.log("dns", await new Promise((resolve) => dns.lookup("example.com", (error) => resolve(error ? error.code : "resolved"))));
  console.log("fetch", await fetch("http://1.1.1.1/").then(() => "fetched", (error) => error.cause?.code ?? String(error)));
})();
`;
      const result = await run("javascript", code);
      expect(result).toMatchObject({ outcome: "ok", stderr: "" });
      expect(result.stdout).toBe("loopback ECONNREFUSED\nexternal ENETUNREACH\ndns EAI_AGAIN\nfetch ENETUNREACH\n");
      await sleep(100);
      expect(server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe("attack: write outside its dir", () => {
  const targets = (hostDir: string, name: string) => ({
    [`/etc/${name}`]: "EROFS",
    [`/usr/${name}`]: "EROFS",
    [`/usr/lib/${name}`]: "EROFS",
    [`/${name}`]: "EROFS",
    [`/dev/${name}`]: "EROFS",
    [`${hostDir}/keep.txt`]: "ENOENT",
    [`${hostDir}/${name}`]: "ENOENT",
    [`${process.cwd()}/${name}`]: "ENOENT",
    [`/root/${name}`]: "ENOENT",
    [`/home/${name}`]: "ENOENT",
    // Its own private /tmp is writable.
    [`/tmp/${name}`]: "written",
  });

  function expectHostUnchanged(hostDir: string, expected: Record<string, string>): void {
    expect(readdirSync(hostDir)).toEqual(["keep.txt"]);
    expect(readFileSync(join(hostDir, "keep.txt"), "utf8")).toBe("original");
    for (const path of Object.keys(expected)) if (!path.endsWith("keep.txt")) expect(existsSync(path), path).toBe(false);
  }

  it("gets EROFS or ENOENT for system dirs, the host's dirs and a host temp dir; the host is unchanged (Python)", async () => {
    const host = makeTempDir("burrow-sandbox-test-");
    try {
      writeFileSync(join(host.path, "keep.txt"), "original");
      const expected = targets(host.path, marker());
      const code = [
        "import errno, json, os",
        "def attempt(path):",
        "    try:",
        "        with open(path, 'w') as f:",
        "            f.write('pwned')",
        "        return 'written'",
        "    except OSError as e:",
        "        return errno.errorcode[e.errno]",
        `print(json.dumps({path: attempt(path) for path in ${JSON.stringify(Object.keys(expected))}}))`,
        "for path in ['/usr/bin/true', '/etc/ld.so.cache']:",
        "    try:",
        "        os.unlink(path)",
        "        print('deleted', path)",
        "    except OSError as e:",
        "        print('unlink', path, errno.errorcode[e.errno])",
      ].join("\n");
      const result = await run("python", code);
      expect(result).toMatchObject({ outcome: "ok", stderr: "" });
      const [writes, ...unlinks] = result.stdout.trim().split("\n");
      expect(JSON.parse(writes!)).toEqual(expected);
      expect(unlinks).toEqual(["unlink /usr/bin/true EROFS", "unlink /etc/ld.so.cache EROFS"]);
      expectHostUnchanged(host.path, expected);
      expect(existsSync("/usr/bin/true")).toBe(true);
    } finally {
      host.remove();
    }
  });

  it("gets EROFS or ENOENT for system dirs, the host's dirs and a host temp dir; the host is unchanged (JavaScript)", async () => {
    const host = makeTempDir("burrow-sandbox-test-");
    try {
      writeFileSync(join(host.path, "keep.txt"), "original");
      const expected = targets(host.path, marker());
      const code = `
const fs = require("node:fs");
const results = {};
for (const path of ${JSON.stringify(Object.keys(expected))}) {
  try { fs.writeFileSync(path, "pwned"); results[path] = "written"; } catch (error) { results[path] = error.code; }
}
console.log(JSON.stringify(results));
`;
      const result = await run("javascript", code);
      expect(result).toMatchObject({ outcome: "ok", stderr: "" });
      expect(JSON.parse(result.stdout)).toEqual(expected);
      expectHostUnchanged(host.path, expected);
    } finally {
      host.remove();
    }
  });

  it("cannot write a file over the size limit or fill its tmpfs past its size (EFBIG, ENOSPC)", async () => {
    const code = [
      "import errno",
      "try:",
      "    with open('/tmp/big', 'wb') as f:",
      "        f.write(b'x' * (20 * 1024 * 1024))",
      "    print('big written')",
      "except OSError as e:",
      "    print('big', errno.errorcode[e.errno])",
      "n = 0",
      "try:",
      "    while True:",
      "        with open(f'/tmp/part{n}', 'wb') as f:",
      "            f.write(b'y' * (8 * 1024 * 1024))",
      "        n += 1",
      "except OSError as e:",
      "    print('fill', errno.errorcode[e.errno], n * 8 <= 64)",
    ].join("\n");
    const result = await run("python", code);
    expect(result).toMatchObject({ outcome: "ok", stdout: "big EFBIG\nfill ENOSPC True\n", stderr: "" });
  });
});

describe("attack: read the host's secrets", () => {
  it("never sees the host's environment, in its own env or via /proc (Python)", async () => {
    expect(process.env[SECRET_NAME]).toBe(secret);
    const code = [
      "import errno, json, os",
      "def read(path):",
      "    try:",
      "        with open(path, 'rb') as f:",
      "            return f.read().decode('utf-8', 'replace')",
      "    except OSError as e:",
      "        return errno.errorcode[e.errno]",
      "pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())",
      "print(json.dumps({",
      "  'env': dict(os.environ),",
      "  'pids': pids,",
      "  'environ': {p: read(f'/proc/{p}/environ') for p in pids},",
      "  'cmdline': {p: read(f'/proc/{p}/cmdline') for p in pids},",
      "  'files': {p: read(p) for p in ['/etc/passwd', '/etc/shadow', '/root/.bashrc', '/home', '/sys/class/net', '/run', '/var/log', " +
        `${JSON.stringify(join(process.cwd(), "package.json"))}]},`,
      "}))",
    ].join("\n");
    const result = await run("python", code);
    expect(result).toMatchObject({ outcome: "ok", stderr: "" });
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).not.toContain(SECRET_NAME);
    const seen = JSON.parse(result.stdout) as { env: Record<string, string>; pids: number[]; environ: Record<string, string>; files: Record<string, string> };
    expect(seen.env).toEqual({ PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", LANG: "C.UTF-8", PWD: "/tmp" });
    // Its own pid namespace: bwrap's init (1) and itself (2); no host process is visible.
    expect(seen.pids).toEqual([1, 2]);
    // bwrap's init keeps the environment bwrap started with: the host starts bwrap with an empty one.
    expect(seen.environ["1"]).toBe("");
    const paths = Object.keys(seen.files);
    expect(seen.files).toEqual(Object.fromEntries(paths.map((path) => [path, "ENOENT"])));
  });

  it("never sees the host's environment, in its own env or via /proc (JavaScript)", async () => {
    const code = `
const fs = require("node:fs");
console.log(JSON.stringify({ env: process.env, init: fs.readFileSync("/proc/1/environ", "utf8"), self: fs.readFileSync("/proc/self/environ", "utf8") }));
`;
    const result = await run("javascript", code);
    expect(result).toMatchObject({ outcome: "ok", stderr: "" });
    expect(result.stdout).not.toContain(secret);
    expect(JSON.parse(result.stdout)).toEqual({
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", LANG: "C.UTF-8", PWD: "/tmp" },
      init: "",
      self: "PATH=/usr/local/bin:/usr/bin:/bin\0HOME=/tmp\0LANG=C.UTF-8\0PWD=/tmp\0",
    });
  });
});

describe("attack: run forever", () => {
  it("`while True: pass` is killed at the wall-clock limit, keeping what it printed (Python)", async () => {
    const result = await run("python", "print('spinning')\nwhile True:\n    pass\n", { timeoutMs: 2_000 });
    expect(result).toMatchObject({ outcome: "timeout", timedOut: true, exitCode: null, signal: "SIGKILL", stdout: "spinning\n", stderr: "", outputTruncated: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(2_000);
    expect(result.durationMs).toBeLessThan(5_000);
    expect(sandboxProcesses()).toEqual([]);
  });

  it("`for (;;) {}` is killed at the wall-clock limit (JavaScript)", async () => {
    const result = await run("javascript", 'console.log("spinning");\nfor (;;) {}\n', { timeoutMs: 2_000 });
    expect(result).toMatchObject({ outcome: "timeout", timedOut: true, exitCode: null, signal: "SIGKILL", stdout: "spinning\n" });
    expect(result.durationMs).toBeGreaterThanOrEqual(2_000);
    expect(result.durationMs).toBeLessThan(5_000);
  });
});

describe("attack: fork bomb", () => {
  it("stops at the process limit and the run ends; nothing is left on the host (Python)", async () => {
    const { result, peak } = await peakProcesses(run("python", "import os\nwhile True:\n    os.fork()\n", { timeoutMs: 10_000 }));
    expect(result).toMatchObject({ outcome: "error", exitCode: 1, signal: null, timedOut: false });
    expect(result.stderr).toContain("BlockingIOError: [Errno 11] Resource temporarily unavailable");
    // bwrap outside the namespace, plus at most the limit inside (its init included).
    expect(peak).toBeLessThanOrEqual(1 + DEFAULT_LIMITS.python.processes);
    expect(sandboxProcesses()).toEqual([]);
  });

  it("a fork bomb that ignores the errors spins until the time limit, then everything is gone (Python)", async () => {
    const code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n";
    const { result, peak } = await peakProcesses(run("python", code, { timeoutMs: 1_500 }));
    expect(result).toMatchObject({ outcome: "timeout", timedOut: true, signal: "SIGKILL", exitCode: null });
    expect(peak).toBeGreaterThan(DEFAULT_LIMITS.python.processes / 2);
    expect(peak).toBeLessThanOrEqual(1 + DEFAULT_LIMITS.python.processes);
    expect(sandboxProcesses()).toEqual([]);
  });

  it("stops at the process limit (JavaScript child_process)", async () => {
    const code = `
const { spawn } = require("node:child_process");
function spawnAnother() {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  child.on("error", (error) => { console.log("spawn failed", error.code); process.exit(3); });
  child.on("spawn", spawnAnother);
}
spawnAnother();
`;
    const { result, peak } = await peakProcesses(run("javascript", code, { timeoutMs: 15_000 }));
    expect(result).toMatchObject({ outcome: "error", exitCode: 3, stdout: "spawn failed EAGAIN\n", timedOut: false });
    expect(peak).toBeLessThanOrEqual(1 + DEFAULT_LIMITS.javascript.processes);
    expect(sandboxProcesses()).toEqual([]);
  });
});

describe("attack: allocate 2 GB", () => {
  it("gets a MemoryError before any of it is allocated (Python)", async () => {
    const code = [
      "import resource",
      "try:",
      "    block = bytearray(2 * 1024 ** 3)",
      "    print('allocated')",
      "except MemoryError:",
      "    print('MemoryError; peak RSS under 100 MB:', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 100 * 1024)",
      "    raise",
    ].join("\n");
    const result = await run("python", code);
    expect(result).toMatchObject({ outcome: "memory-limit", exitCode: 1, signal: null, stdout: "MemoryError; peak RSS under 100 MB: True\n" });
    expect(result.stderr.endsWith("MemoryError\n")).toBe(true);
  });

  it("gets a MemoryError when growing past the address-space limit bit by bit (Python)", async () => {
    const result = await run("python", "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n", { timeoutMs: 10_000 });
    expect(result).toMatchObject({ outcome: "memory-limit", exitCode: 1, signal: null });
    expect(result.stderr.endsWith("MemoryError\n")).toBe(true);
  });

  it("gets 'Array buffer allocation failed' for a 2 GB Buffer (JavaScript)", async () => {
    const result = await run("javascript", "const block = Buffer.alloc(2 * 1024 ** 3);\nconsole.log(block.length);\n");
    expect(result).toMatchObject({ outcome: "memory-limit", exitCode: 1, signal: null, stdout: "" });
    expect(result.stderr).toContain("RangeError: Array buffer allocation failed");
  });

  it("stops at the V8 heap limit when the heap grows (JavaScript)", async () => {
    const result = await run("javascript", "const arrays = [];\nfor (;;) arrays.push(new Array(1e6).fill(1.5));\n", { timeoutMs: 20_000 });
    expect(result).toMatchObject({ outcome: "memory-limit", exitCode: null, signal: "SIGABRT", timedOut: false });
    expect(result.stderr).toContain("JavaScript heap out of memory");
  });
});

describe("attack: print 10 MB", () => {
  it("keeps exactly the output budget and kills the run (Python)", async () => {
    const result = await run("python", "import sys\nsys.stdout.write('x' * 10_000_000)\n");
    expect(result).toMatchObject({ outcome: "output-limit", outputTruncated: true, exitCode: null, signal: "SIGKILL", timedOut: false, stderr: "" });
    expect(result.stdout).toBe("x".repeat(MAX_OUTPUT));
  });

  it("kills a program that would print forever long before the time limit; stdout and stderr share the budget", async () => {
    // stderr first, then (after a pause, so the host has read it) stdout forever.
    const code = "import sys, time\nsys.stderr.write('e' * 40000)\ntime.sleep(0.5)\nwhile True:\n    print('o' * 999)\n";
    const result = await run("python", code, { timeoutMs: 10_000 });
    expect(result).toMatchObject({ outcome: "output-limit", outputTruncated: true, timedOut: false, signal: "SIGKILL" });
    expect(result.stderr).toBe("e".repeat(40_000));
    expect(result.stdout.length).toBe(MAX_OUTPUT - 40_000);
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it("keeps exactly the output budget and kills the run (JavaScript)", async () => {
    const result = await run("javascript", 'process.stdout.write("x".repeat(10_000_000));\n');
    expect(result).toMatchObject({ outcome: "output-limit", outputTruncated: true, exitCode: null, signal: "SIGKILL", stderr: "" });
    expect(result.stdout).toBe("x".repeat(MAX_OUTPUT));
  });
});

describe("attack: outlive the run", () => {
  /** A `sleep` argument unique to this test, so the host can find the process by its command line. */
  const sleepMarker = (): string => `1000.${Date.now()}${randomBytes(3).readUIntBE(0, 3)}`;
  /** `sleep <marker>` processes on the host (argv exactly, so a command line that merely quotes it does not count). */
  const sleepers = (name: string): number[] => processesMentioning(`sleep\0${name}\0`);

  it("`sleep 1000 &` (new session, and a double-forked daemon) is gone when run() returns (Python)", async () => {
    const first = sleepMarker();
    const second = sleepMarker();
    const code = [
      "import os, subprocess, time",
      "quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)",
      `child = subprocess.Popen(['sleep', '${first}'], start_new_session=True, **quiet)`,
      "pid = os.fork()",
      "if pid == 0:",
      "    os.setsid()",
      "    if os.fork() == 0:",
      "        devnull = os.open('/dev/null', os.O_RDWR)",
      "        for fd in (0, 1, 2):",
      "            os.dup2(devnull, fd)",
      `        os.execvp('sleep', ['sleep', '${second}'])`,
      "    os._exit(0)",
      "os.waitpid(pid, 0)",
      "time.sleep(0.3)",
      "running = [p for p in os.listdir('/proc') if p.isdigit() and b'sleep' in open(f'/proc/{p}/cmdline', 'rb').read()]",
      "print('sleeping children:', len(running))",
    ].join("\n");
    const result = await run("python", code);
    expect(result).toMatchObject({ outcome: "ok", stdout: "sleeping children: 2\n", stderr: "" });
    expect(sleepers(first)).toEqual([]);
    expect(sleepers(second)).toEqual([]);
  });

  it("a detached child of a program killed at the time limit is gone too, though the host saw it running (Python)", async () => {
    const name = sleepMarker();
    const code = `import subprocess\nsubprocess.Popen(['sleep', '${name}'], start_new_session=True)\nwhile True:\n    pass\n`;
    const pending = run("python", code, { timeoutMs: 2_000 });
    expect(await eventually(() => sleepers(name).length > 0, 2_000)).toBe(true);
    expect(await pending).toMatchObject({ outcome: "timeout" });
    expect(sleepers(name)).toEqual([]);
  });

  it("a detached, unref'd child process is gone when run() returns (JavaScript)", async () => {
    const name = sleepMarker();
    const code = `
const { spawn } = require("node:child_process");
const child = spawn("sleep", ["${name}"], { detached: true, stdio: "ignore" });
child.unref();
setTimeout(() => console.log("child running:", child.exitCode === null && child.pid > 0), 300);
`;
    const result = await run("javascript", code);
    expect(result).toMatchObject({ outcome: "ok", stdout: "child running: true\n" });
    expect(sleepers(name)).toEqual([]);
  });

  it("if Burrow itself is killed (SIGKILL) mid-run, the sandbox dies with it", async () => {
    const name = sleepMarker();
    const script = [
      `import { Sandbox } from ${JSON.stringify(join(REPO_ROOT, "tools/code-exec/index.ts"))};`,
      `await new Sandbox().run({ language: "python", code: "import subprocess\\nsubprocess.Popen(['sleep', '${name}'])\\nwhile True:\\n    pass\\n", timeoutMs: 30000 });`,
    ].join("\n");
    const burrow = execa(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO_ROOT, reject: false });
    try {
      expect(await eventually(() => sleepers(name).length > 0, 15_000)).toBe(true);
      burrow.kill("SIGKILL");
      await burrow;
      expect(await eventually(() => sleepers(name).length === 0, 2_000)).toBe(true);
      expect(sandboxProcesses()).toEqual([]);
    } finally {
      burrow.kill("SIGKILL");
    }
  });

  it("cancelling a run kills its whole tree and rejects with the reason", async () => {
    const name = sleepMarker();
    const controller = new AbortController();
    const started = Date.now();
    const pending = run("python", `import subprocess\nsubprocess.Popen(['sleep', '${name}'])\nwhile True:\n    pass\n`, { timeoutMs: 10_000, signal: controller.signal });
    expect(await eventually(() => sleepers(name).length > 0, 3_000)).toBe(true);
    controller.abort(new Error("user cancelled"));
    await expect(pending).rejects.toThrow("user cancelled");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sleepers(name)).toEqual([]);
    expect(sandboxProcesses()).toEqual([]);
    await expect(run("python", "print(1)", { signal: AbortSignal.abort(new Error("already cancelled")) })).rejects.toThrow("already cancelled");
  });
});

describe("attack: TIOCSTI terminal injection", () => {
  // The session is bwrap's new one (led by the sandbox's init, pid 1), which has no controlling terminal.
  it("has no terminal to inject into: TIOCSTI gets ENOTTY, /dev/tty ENXIO (Python)", async () => {
    const code = [
      "import errno, fcntl, os, termios",
      "def inject(fd):",
      "    try:",
      "        fcntl.ioctl(fd, termios.TIOCSTI, b'x')",
      "        return 'injected'",
      "    except OSError as e:",
      "        return errno.errorcode[e.errno]",
      "print('stdin', inject(0), 'stdout', inject(1), 'stderr', inject(2))",
      "try:",
      "    fd = os.open('/dev/tty', os.O_RDWR)",
      "    print('tty', inject(fd))",
      "except OSError as e:",
      "    print('tty', errno.errorcode[e.errno])",
      "print('session of', os.getsid(0))",
    ].join("\n");
    const result = await run("python", code);
    expect(result).toMatchObject({ outcome: "ok", stderr: "", stdout: "stdin ENOTTY stdout ENOTTY stderr ENOTTY\ntty ENXIO\nsession of 1\n" });
  });

  it("has no controlling terminal (JavaScript)", async () => {
    const code = `
const fs = require("node:fs");
const tty = require("node:tty");
let opened;
try { fs.openSync("/dev/tty", "r+"); opened = "opened"; } catch (error) { opened = error.code; }
console.log([0, 1, 2].map((fd) => tty.isatty(fd)).join(","), opened);
`;
    const result = await run("javascript", code);
    expect(result).toMatchObject({ outcome: "ok", stdout: "false,false,false ENXIO\n" });
  });
});

import { createHash, X509Certificate } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';

/** The `tls` section of the config file: PEM files, re-read whenever they change. */
export interface TlsFiles {
  /** Serving certificate chain (PEM). */
  readonly certFile: string;
  /** Private key of the serving certificate (PEM). */
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by one of these CAs (mTLS). */
  readonly clientCAFile?: string;
}

/** The file contents in use; `ca` only under mTLS. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

/** Facts about a loaded serving certificate, for logs and metrics. */
export interface CertificateInfo {
  readonly subject: string;
  readonly notAfter: Date;
  readonly fingerprint256: string;
}

export type TlsLogger = Pick<Logger, 'info' | 'warn'>;

/**
 * Reads the files and checks that they form a usable server context (the key matches the
 * certificate, the PEM parses). Throws with the offending file named. Does I/O.
 */
export async function loadTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const read = async (what: string, path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`tls: cannot read ${what} "${path}": ${(err as Error).message}`);
    }
  };
  const cert = await read('certFile', files.certFile);
  const key = await read('keyFile', files.keyFile);
  const ca = files.clientCAFile === undefined ? undefined : await read('clientCAFile', files.clientCAFile);
  const material: TlsMaterial = ca === undefined ? { cert, key } : { cert, key, ca };
  try {
    createSecureContext(contextOptions(material));
  } catch (err) {
    throw new Error(
      `tls: certFile "${files.certFile}" / keyFile "${files.keyFile}" unusable: ${(err as Error).message}`,
    );
  }
  if (ca !== undefined && !ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`tls: clientCAFile "${files.clientCAFile}" holds no PEM certificate`);
  }
  return material;
}

/** The options for `tls.createSecureContext` / `server.setSecureContext`. Pure. */
export function contextOptions(m: TlsMaterial): SecureContextOptions {
  return m.ca === undefined ? { cert: m.cert, key: m.key } : { cert: m.cert, key: m.key, ca: m.ca };
}

/** Subject, expiry and fingerprint of the first certificate of the chain. Pure. */
export function certificateInfo(m: TlsMaterial): CertificateInfo {
  const x = new X509Certificate(m.cert);
  return { subject: x.subject, notAfter: new Date(x.validTo), fingerprint256: x.fingerprint256 };
}

function digest(m: TlsMaterial): string {
  const h = createHash('sha256');
  for (const part of [m.cert, m.key, m.ca ?? Buffer.alloc(0)]) {
    h.update(String(part.length)).update(':').update(part);
  }
  return h.digest('hex');
}

export interface TlsReloaderOptions {
  readonly files: TlsFiles;
  /** The material the server was started with. */
  readonly initial: TlsMaterial;
  /** Called with the new material once it has been validated; it must install it (`setSecureContext`). */
  readonly apply: (m: TlsMaterial) => void;
  readonly logger: TlsLogger;
  /** Poll period, the fallback for file systems whose change events are missed. Default 10 s. */
  readonly pollIntervalMs?: number;
  /** Wait after a change event before reading, so a rotation that rewrites several files is seen whole. Default 200 ms. */
  readonly settleMs?: number;
  readonly onReload?: (result: 'ok' | 'error', info?: CertificateInfo) => void;
}

/**
 * Watches the TLS files and installs new material when their contents change, without touching
 * established connections (new handshakes use the new context, in-flight requests finish on the old).
 *
 * Directories are watched rather than files because Kubernetes Secret volumes and cert-manager
 * rotate by swapping a `..data` symlink: a watch on the old file would never fire again. Polling
 * covers file systems without change events. A half-rotated pair (new certificate, old key) fails
 * validation and is retried on the next event or poll; the old material stays in use until then.
 */
export class TlsReloader {
  private current: string;
  private lastFailure: string | undefined;
  private readonly watchers: FSWatcher[] = [];
  private readonly poll: NodeJS.Timeout;
  private settle: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = false;

  constructor(private readonly opts: TlsReloaderOptions) {
    this.current = digest(opts.initial);
    const dirs = new Set(
      [opts.files.certFile, opts.files.keyFile, opts.files.clientCAFile].flatMap((f) => (f ? [dirname(f)] : [])),
    );
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, () => this.changed());
        w.on('error', () => w.close()); // polling still covers this directory
        this.watchers.push(w);
      } catch {
        // No change events here (e.g. some network file systems): rely on polling.
      }
    }
    this.poll = setInterval(() => void this.check(), opts.pollIntervalMs ?? 10_000);
    this.poll.unref();
  }

  private changed(): void {
    if (this.stopped) return;
    clearTimeout(this.settle);
    this.settle = setTimeout(() => void this.check(), this.opts.settleMs ?? 200);
    this.settle.unref();
  }

  /** Re-reads the files now and installs them if they changed and are valid. Resolves when done. */
  check(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.reload().finally(() => {
      this.running = undefined;
      if (this.rerun && !this.stopped) {
        this.rerun = false;
        void this.check();
      }
    });
    return this.running;
  }

  private async reload(): Promise<void> {
    if (this.stopped) return;
    let next: TlsMaterial;
    try {
      next = await loadTlsMaterial(this.opts.files);
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastFailure) {
        this.lastFailure = message;
        this.opts.logger.warn({ err: message }, 'tls files changed but cannot be used; keeping the previous ones');
        this.opts.onReload?.('error');
      }
      return;
    }
    this.lastFailure = undefined;
    const d = digest(next);
    if (d === this.current || this.stopped) return;
    this.opts.apply(next);
    this.current = d;
    const info = certificateInfo(next);
    this.opts.logger.info(
      { subject: info.subject, notAfter: info.notAfter.toISOString(), fingerprint256: info.fingerprint256 },
      'tls certificate reloaded',
    );
    this.opts.onReload?.('ok', info);
  }

  /** Stops watching and polling; an in-flight check finishes without installing anything. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.poll);
    clearTimeout(this.settle);
    for (const w of this.watchers) w.close();
  }
}

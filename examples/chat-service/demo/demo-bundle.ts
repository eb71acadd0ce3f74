/**
 * Signed bundles of a Switchyard project, made in-process: load the YAML, compile, sign with an
 * Ed25519 key, publish to a directory (payload first, manifest last) and serve it with the real
 * bundle server. With no flags the chat service runs on exactly this: the repository's demo config,
 * signed with an ephemeral key that only this process knows, served on 127.0.0.1. The tests use the
 * same publisher to publish a rollout's next stage, a kill switch or a retirement while the service runs.
 *
 * The pieces are the ones `switchyard compile | sign | publish | serve` use (src/bundle); only the
 * key differs from CI (generated here, never written to disk).
 */
import type { Server } from 'node:http';
import { compileBundle } from '../../../src/bundle/compile.ts';
import { parseDuration } from '../../../src/bundle/duration.ts';
import { generateSigningKey, trustedKeysDocument, type SigningKey } from '../../../src/bundle/keys.ts';
import { publishToDirectory } from '../../../src/bundle/publish.ts';
import { manifestBytes } from '../../../src/bundle/runtime-format.ts';
import { createBundleServer, listen } from '../../../src/bundle/serve.ts';
import { signCompiled } from '../../../src/bundle/sign.ts';
import { loadProject } from '../../../src/config/load-project.ts';
import type { Project } from '../../../src/config/types.ts';
import { resolveRef } from '../../../src/git/refs.ts';
import { ServiceError } from '../src/errors.ts';

export interface BundlePublisherOptions {
  /** Project root whose YAML is compiled (switchyard.yaml, models/, prompts/, rollouts/ …). */
  root: string;
  /** Publish target directory: `<dir>/<env>/manifest.json` + `<dir>/<env>/payload/<sha256>.json`. */
  dir: string;
  /** Signing key; a fresh ephemeral one when omitted. */
  key?: SigningKey;
  /** First serial to publish (default 1); every publish takes the next one. */
  firstSerial?: number;
}

export interface Published {
  serial: number;
  /** sha256 of the payload per environment. */
  payloads: Record<string, string>;
}

/** Compiles, signs and publishes the project, optionally edited, under increasing serials. */
export class BundlePublisher {
  readonly key: SigningKey;
  /** Trusted-keys JSON for this publisher's key: what a runtime client of these bundles pins. */
  readonly trustedKeys: string;
  readonly dir: string;
  private readonly base: Project;
  private readonly commit: string;
  private nextSerial: number;

  private constructor(base: Project, commit: string, options: BundlePublisherOptions) {
    this.base = base;
    this.commit = commit;
    this.dir = options.dir;
    this.key = options.key ?? generateSigningKey();
    this.trustedKeys = trustedKeysDocument([{ key: this.key.publicKey, label: 'chat-service-ephemeral' }]);
    this.nextSerial = options.firstSerial ?? 1;
  }

  /** Loads and validates the project once; throws `E_DEMO_CONFIG_INVALID` listing its errors. */
  static async open(options: BundlePublisherOptions): Promise<BundlePublisher> {
    const loaded = await loadProject(options.root);
    if (!loaded.value || loaded.errors.length > 0) {
      const list = loaded.errors
        .slice(0, 5)
        .map((d) => `${d.file}: ${d.code} ${d.message}`)
        .join('; ');
      throw new ServiceError(
        'E_DEMO_CONFIG_INVALID',
        `the config in ${options.root} does not validate (${list}); run \`switchyard validate\` there`,
      );
    }
    // The payload records a commit; a working tree that is not a git repository gets zeros.
    const commit = await resolveRef(options.root, 'HEAD').catch(() => '0'.repeat(40));
    return new BundlePublisher(loaded.value, commit, options);
  }

  /** The serial the next `publish` will use. */
  peekSerial(): number {
    return this.nextSerial;
  }

  /**
   * Publishes every environment of the project, after `edit` (applied to a copy; each publish starts
   * from the loaded project, so an edit describes a whole state, not a delta on the last publish).
   */
  async publish(edit?: (project: Project) => void): Promise<Published> {
    const project = structuredClone(this.base);
    edit?.(project);
    const serial = this.nextSerial++;
    const createdAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const validity = parseDuration(project.settings.signing.expiresAfter) ?? 30 * 24 * 3600 * 1000;
    const payloads: Record<string, string> = {};
    for (const { name: env } of project.settings.environments) {
      const compiled = compileBundle(project, { env, commit: this.commit });
      if (!compiled.value) {
        throw new ServiceError(
          'E_DEMO_COMPILE',
          `cannot compile the ${env} bundle: ${compiled.errors.map((e) => `${e.code} ${e.message}`).join('; ')}`,
        );
      }
      const manifest = signCompiled(
        compiled.value,
        { env, serial, commit: this.commit, createdAt, validityMs: validity },
        [this.key],
      );
      const result = await publishToDirectory(this.dir, manifestBytes(manifest), compiled.value.bytes);
      if (!result.ok)
        throw new ServiceError('E_DEMO_PUBLISH', `cannot publish the ${env} bundle: ${result.code} ${result.message}`);
      payloads[env] = compiled.value.sha256;
    }
    return { serial, payloads };
  }
}

/** Edits a rollout resource (Flag, ModelRollout, Canary, EmbeddingMigration …) of a project copy in place. */
export function editRollout(project: Project, name: string, patch: Record<string, unknown>): void {
  const resource = project.rollouts.get(name);
  if (!resource) throw new ServiceError('E_DEMO_EDIT', `no rollout named ${name}`);
  const r = resource as unknown as Record<string, unknown>;
  Object.assign(r, patch);
  // An environment override would shadow the edit: the edit is meant for every environment.
  if ('environments' in r) delete r.environments;
}

/** Edits a model alias (snapshot, retired, conversations …) of a project copy in place. */
export function editModel(project: Project, alias: string, patch: Record<string, unknown>): void {
  const model = project.models.get(alias);
  if (!model) throw new ServiceError('E_DEMO_EDIT', `no model alias ${alias}`);
  Object.assign(model as unknown as Record<string, unknown>, patch);
}

/** Edits an experiment of a project copy in place. */
export function editExperiment(project: Project, id: string, patch: Record<string, unknown>): void {
  const experiment = project.experiments.get(id);
  if (!experiment) throw new ServiceError('E_DEMO_EDIT', `no experiment ${id}`);
  const e = experiment as unknown as Record<string, unknown>;
  Object.assign(e, patch);
  if ('environments' in e) delete e.environments;
}

export interface BundleServer {
  /** Base URL the runtime client polls (`<url>/<env>/manifest.json`). */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves a publish directory with the real bundle server (`switchyard serve`) on 127.0.0.1. */
export async function serveBundles(dir: string, port = 0): Promise<BundleServer> {
  const server = createBundleServer(dir);
  const bound = await listen(server, port, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

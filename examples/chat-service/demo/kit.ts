/**
 * The demo kit of this repository: the offline model server and the repository's own config,
 * compiled, signed with an ephemeral key, published to a temporary directory and served on
 * 127.0.0.1 — the pieces `switchyard model-server` and `switchyard compile | sign | publish | serve`
 * run, started in-process. It lives beside the service, not in it: the service (`../src/`) only
 * sees a bundle URL with trusted keys and a model endpoint, as it would in production.
 */
import { startModelServer } from '../../../src/eval/offline/server.ts';
import type { DemoKit } from '../src/cli.ts';
import { BundlePublisher, serveBundles } from './demo-bundle.ts';

export const demoKit: DemoKit = {
  async startModelServer() {
    const server = await startModelServer();
    return { url: server.baseUrl, close: () => server.close() };
  },
  async serveBundles(root, publishDir) {
    const publisher = await BundlePublisher.open({ root, dir: publishDir });
    await publisher.publish();
    const server = await serveBundles(publishDir);
    return { url: server.url, trustedKeys: publisher.trustedKeys, close: () => server.close() };
  },
};

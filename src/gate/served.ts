/**
 * Nothing served disappears: a change may not delete (or rename away) what the base serves — an
 * active prompt version, a version a running experiment serves, a model alias prompts use — nor
 * send conversations pinned to a snapshot anywhere but through the documented retire path.
 */
import { compileBundle } from '../bundle/compile.ts';
import type { BundlePayload } from '../bundle/runtime-format.ts';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { Project } from '../config/types.ts';
import { gateDiagnostic } from './codes.ts';
import type { Locate } from './locate.ts';

function payloads(project: Project): Array<{ env: string; payload: BundlePayload }> {
  return project.settings.environments.flatMap(({ name }) => {
    const payload = compileBundle(project, { env: name, commit: '0'.repeat(40) }).value?.payload;
    return payload ? [{ env: name, payload }] : [];
  });
}

/** Errors for everything the base serves that the head removes or strands. */
export function judgeServed(base: Project, head: Project, locate: Locate): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const baseServed = payloads(base);
  const promptFile = (name: string, version: number) =>
    base.files.get(`prompt:${name}@${version}`) ?? `prompts/${name}/v${version}.yaml`;

  // Prompt versions: active, or served by a running experiment in some environment.
  const servedBy = new Map<string, string>();
  for (const { env, payload } of baseServed) {
    for (const e of Object.values(payload.experiments)) {
      if (e.status !== 'running') continue;
      for (const v of e.variants)
        if (v.enrolledEnd > v.slotStart)
          servedBy.set(`${e.prompt}@${v.version}`, `variant ${v.name} of the running experiment ${e.id} (${env})`);
    }
  }
  for (const [name, versions] of base.prompts) {
    for (const v of versions.values()) {
      if (head.prompts.get(name)?.has(v.version)) continue;
      const why =
        v.status === 'active'
          ? 'the active version (callers would get no prompt or another version without its gate)'
          : servedBy.get(`${name}@${v.version}`);
      if (!why) continue;
      errors.push(
        gateDiagnostic(
          locate,
          'E_GATE_SERVED_REMOVED',
          promptFile(name, v.version),
          '',
          `${name} v${v.version} is removed but the base serves it: ${why}.`,
        ),
      );
    }
  }

  // Model aliases that base prompts (other than deprecated ones) or rollouts use.
  for (const [alias, pin] of base.models) {
    if (head.models.has(alias)) continue;
    const users = [...base.prompts.values()]
      .flatMap((vs) => [...vs.values()])
      .filter((v) => v.model === alias && v.status !== 'deprecated')
      .map((v) => `${v.prompt} v${v.version}`);
    if (users.length === 0 && pin.conversations !== 'pinned') continue;
    const why =
      users.length > 0 ? `used by ${users.join(', ')}` : `conversations are pinned to its snapshots (${pin.snapshot})`;
    errors.push(
      gateDiagnostic(
        locate,
        'E_GATE_SERVED_REMOVED',
        base.files.get(`model:${alias}`) ?? `models/${alias}.yaml`,
        '',
        `model alias ${alias} is removed but the base serves it: ${why}.`,
      ),
    );
  }

  // Pinned conversations: moved only by `retired` (or a kill), never by an edit that strands them.
  const headServed = new Map(payloads(head).map(({ env, payload }) => [env, payload]));
  for (const { env, payload } of baseServed) {
    const after = headServed.get(env);
    if (!after) continue;
    for (const m of Object.values(payload.models)) {
      const now = after.models[m.alias];
      if (!now) continue;
      const file = head.files.get(`model:${m.alias}`) ?? `models/${m.alias}.yaml`;
      if (m.conversations === 'pinned' && now.conversations !== 'pinned') {
        errors.push(
          gateDiagnostic(
            locate,
            'E_GATE_PINNED_SNAPSHOT',
            file,
            '/conversations',
            `${env}: ${m.alias} stops pinning conversations: every stored conversation would switch to the current decision at once.`,
          ),
        );
      }
      for (const snapshot of m.retired) {
        if (!now.retired.includes(snapshot) && m.conversations === 'pinned') {
          errors.push(
            gateDiagnostic(
              locate,
              'E_GATE_PINNED_SNAPSHOT',
              file,
              '/retired',
              `${env}: ${snapshot} is no longer retired: conversations pinned to it would be served it again.`,
              'A retired snapshot stays retired; roll it out again with a ModelRollout if it must come back.',
            ),
          );
        }
      }
      // A killed rollout sends conversations pinned to its target back to the pin. Deleting it would
      // hand them the killed snapshot again, all at once and with no stage to pass; reviving it keeps
      // the rollout and is judged by the exposure gate (first stage again).
      const flag = m.rollout === null ? undefined : payload.flags[m.rollout];
      const rollout = m.rollout === null ? undefined : payload.modelRollouts[m.rollout];
      if (!flag?.killed || !rollout || m.conversations !== 'pinned' || rollout.to === m.snapshot) continue;
      const stillThere = now.rollout !== null && after.modelRollouts[now.rollout]?.to === rollout.to;
      if (!stillThere && !now.retired.includes(rollout.to) && now.snapshot !== rollout.to) {
        errors.push(
          gateDiagnostic(
            locate,
            'E_GATE_PINNED_SNAPSHOT',
            head.files.get(`rollout:${flag.name}`) ?? file,
            '/killed',
            `${env}: the killed rollout ${flag.name} no longer holds back conversations pinned to ${rollout.to}: they would all be served it again.`,
            `Retire ${rollout.to} in models/${m.alias}.yaml before removing or reviving the killed rollout.`,
          ),
        );
      }
    }
  }
  return errors;
}

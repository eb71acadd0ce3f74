import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { UsageError, type Command, type CommandIo } from '../command.ts';
import { printDiagnostics } from '../format-diagnostics.ts';
import type { ModelKey } from '../../github/workflow-keys.ts';

const usage = `Usage: switchyard github <subcommand> [options]

Glue between Switchyard and GitHub Actions (used by .github/workflows/).

  policy [dir]                          check .github/workflows/*.yml against the workflow policy
  annotate <validation.json>            turn \`validate --format json\` output into file/line annotations
  stamp <out-dir> --pr <n> --head-sha <sha>
                                        record which PR and commit a report belongs to (switchyard-pr.json)
  summary <out-dir>                     write the report (report.md + findings) to the job summary
  publish <dist> --env <env> [--target <t>] [--no-push]
                                        publish what compile+sign left in <dist>/<env> to the target
                                        (default: publish.target in switchyard.yaml; a directory,
                                        branch:<name>, or an http(s) URL taking PUT) and record it in
                                        published.json and the job summary
  comment --report <dir> --event <file> post the report as the ONE sticky PR comment (workflow_run job);
                                        the artifact is untrusted: size-capped, schema-checked, PR and sha
                                        cross-checked with the event. Needs GITHUB_TOKEN; honours GITHUB_API_URL.
  setup --repo <owner/name> --owner <@team>... [--branch <b>]
                                        make the gate binding: branch protection requiring the jobs of
                                        .github/workflows/pr.yml and a code-owner review, and a CODEOWNERS
                                        block for the policy files. Needs an admin GITHUB_TOKEN.

Exit codes: 0 ok, 1 findings or refused input, 2 usage error.`;

/**
 * The key variables the repository's model pins declare (docs/evaluation.md, "Keys in CI"); none
 * when the configuration does not load (`validate` reports that).
 */
async function modelKeys(root: string): Promise<ModelKey[]> {
  const [{ loadProject }, { secretEnvOf }] = await Promise.all([
    import('../../config/index.ts'),
    import('../../eval/route-liveness.ts'),
  ]);
  const project = (await loadProject(root).catch(() => undefined))?.value;
  const byVariable = new Map<string, string[]>();
  for (const pin of project?.models.values() ?? [])
    for (const variable of secretEnvOf(pin.provider))
      byVariable.set(variable, [...(byVariable.get(variable) ?? []), `models/${pin.alias}.yaml`]);
  return [...byVariable]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([variable, declaredBy]) => ({ variable, declaredBy }));
}

async function policy(args: string[], io: CommandIo): Promise<number> {
  const [{ checkWorkflowPolicy }, { checkWorkflowKeys }] = await Promise.all([
    import('../../github/workflow-policy.ts'),
    import('../../github/workflow-keys.ts'),
  ]);
  const root = resolve(io.cwd, args[0] ?? '.');
  const dir = join(root, '.github', 'workflows');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.ya?ml$/.test(n)).sort();
  if (names.length === 0) {
    io.stderr(`no workflows in ${dir}`);
    return 1;
  }
  const keys = await modelKeys(root);
  let errors = 0;
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    const checked = checkWorkflowPolicy(`.github/workflows/${name}`, text);
    const missingKeys = checkWorkflowKeys(`.github/workflows/${name}`, text, keys);
    printDiagnostics(io, [...checked.errors, ...missingKeys, ...checked.warnings]);
    errors += checked.errors.length + missingKeys.length;
  }
  io.stdout(`${names.length} workflow(s) checked, ${errors} policy error(s)`);
  return errors > 0 ? 1 : 0;
}

async function annotate(args: string[], io: CommandIo): Promise<number> {
  if (!args[0]) throw new UsageError('annotate needs the path of a `validate --format json` output');
  const { annotationsFor, emitAnnotations, readDiagnostics } = await import('../../github/annotations.ts');
  const path = resolve(io.cwd, args[0]);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) {
    io.stderr(`switchyard github annotate: cannot read ${path}`);
    return 1;
  }
  const diagnostics = readDiagnostics(text, args[0]);
  if (!diagnostics.value) {
    printDiagnostics(io, diagnostics.errors);
    return 1;
  }
  emitAnnotations(annotationsFor(diagnostics.value));
  io.stderr(`${diagnostics.value.length} finding(s) annotated`);
  return 0;
}

async function stamp(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { pr: { type: 'string' }, 'head-sha': { type: 'string' } },
    allowPositionals: true,
  });
  const pr = Number(values.pr);
  const headSha = values['head-sha'] ?? '';
  if (!positionals[0] || !Number.isInteger(pr) || pr < 0 || !/^[0-9a-f]{40}$/.test(headSha)) {
    throw new UsageError('stamp needs <out-dir> --pr <number> --head-sha <40-hex sha>');
  }
  const { ARTIFACT_FILES } = await import('../../github/report-intake.ts');
  const dir = resolve(io.cwd, positionals[0]);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, ARTIFACT_FILES.stamp), `${JSON.stringify({ pr, headSha })}\n`);
  return 0;
}

async function summary(args: string[], io: CommandIo): Promise<number> {
  if (!args[0]) throw new UsageError('summary needs the report directory');
  const { buildJobSummary } = await import('../../github/job-summary.ts');
  const dir = resolve(io.cwd, args[0]);
  const markdown = await buildJobSummary(dir);
  const file = io.env.GITHUB_STEP_SUMMARY;
  if (!file) {
    io.stdout(markdown);
    return 0;
  }
  const core = await import('@actions/core');
  // @actions/core reads the summary path from process.env; the command's env is the one that counts.
  process.env.GITHUB_STEP_SUMMARY = file;
  await core.summary.addRaw(markdown, true).write();
  return 0;
}

async function comment(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { report: { type: 'string' }, event: { type: 'string' }, 'self-login': { type: 'string' } },
  });
  const eventPath = values.event ?? io.env.GITHUB_EVENT_PATH;
  if (!values.report || !eventPath)
    throw new UsageError('comment needs --report <artifact dir> and --event <event.json> (or GITHUB_EVENT_PATH)');
  const token = io.env.GITHUB_TOKEN;
  if (!token) {
    io.stderr(
      'switchyard github comment: E_GITHUB_TOKEN GITHUB_TOKEN is not set\n  fix: pass `GITHUB_TOKEN: ${{ github.token }}` in the step env',
    );
    return 1;
  }
  const [{ createGitHubClient }, { postReportComment }, { loadReportValidator }] = await Promise.all([
    import('../../github/client.ts'),
    import('../../github/post-report.ts'),
    import('../../github/report-artifact.ts'),
  ]);
  let event: unknown;
  try {
    event = JSON.parse(await readFile(resolve(io.cwd, eventPath), 'utf8'));
  } catch {
    io.stderr(`switchyard github comment: E_EVENT_NOT_WORKFLOW_RUN cannot read the event payload ${eventPath}`);
    return 1;
  }
  const validateReport = await loadReportValidator(io.cwd).catch(() => undefined);
  if (!validateReport) {
    io.stderr(
      'switchyard github comment: E_REPORT_SCHEMA_MISSING schemas/report.schema.json cannot be loaded; refusing to post an unchecked report',
    );
    return 1;
  }
  const client = createGitHubClient({ token, ...(io.env.GITHUB_API_URL ? { apiUrl: io.env.GITHUB_API_URL } : {}) });
  // The comment is rendered from the schema-checked report.json by this (trusted) checkout's renderer,
  // not taken from the artifact's report.md.
  // The banner comes from trusted facts (the run's conclusion, fork or not), never from the artifact.
  const [{ renderMarkdown }, { renderTrusted, trustedView }] = await Promise.all([
    import('../../eval/report/markdown.ts'),
    import('../../github/trusted-view.ts'),
  ]);
  const posted = await postReportComment({
    client,
    event,
    artifactDir: resolve(io.cwd, values.report),
    validateReport,
    render: (artifact, facts) =>
      renderTrusted(
        trustedView(artifact.report as Parameters<typeof renderMarkdown>[0], facts, io.env.GITHUB_SERVER_URL),
        renderMarkdown,
      ),
    ...(values['self-login'] ? { selfLogin: values['self-login'] } : {}),
  });
  if (!posted.value) {
    printDiagnostics(io, posted.errors);
    return 1;
  }
  if (!posted.value.comment) {
    io.stdout(`nothing posted: ${posted.value.skipped ?? 'no comment'}`);
    return 0;
  }
  const { action, url } = posted.value.comment;
  io.stdout(`PR #${posted.value.prNumber}: report comment ${action} (${url})`);
  return 0;
}

async function publish(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      env: { type: 'string' },
      target: { type: 'string' },
      'no-push': { type: 'boolean' },
      dir: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (!positionals[0] || !values.env) throw new UsageError('publish needs <dist> and --env <environment>');
  const { parsePublishTarget, publishBundle } = await import('../../github/publish-target.ts');
  const root = resolve(io.cwd, values.dir ?? '.');
  let targetText = values.target;
  if (!targetText) {
    const { parse } = await import('yaml');
    const settings = await readFile(join(root, 'switchyard.yaml'), 'utf8')
      .then((t) => parse(t) as { publish?: { target?: unknown } })
      .catch(() => undefined);
    targetText = typeof settings?.publish?.target === 'string' ? settings.publish.target : undefined;
  }
  if (!targetText) {
    io.stderr(
      'switchyard.yaml:1:1 error E_PUBLISH_TARGET no publish target\n  fix: set publish.target in switchyard.yaml or pass --target',
    );
    return 1;
  }
  const target = parsePublishTarget(targetText, root);
  if (!target.value) {
    printDiagnostics(io, target.errors);
    return 1;
  }
  if (io.env.GITHUB_TOKEN && io.env.GITHUB_ACTIONS === 'true') {
    // Actions masks the raw token in logs but not the base64 form git sends as the auth header.
    const [{ basicAuthValue }, core] = await Promise.all([import('../../github/git-push.ts'), import('@actions/core')]);
    core.setSecret(basicAuthValue(io.env.GITHUB_TOKEN));
  }
  const result = await publishBundle({
    root,
    dist: resolve(io.cwd, positionals[0]),
    env: values.env,
    target: target.value,
    push: !values['no-push'] && io.env.SWITCHYARD_NO_PUSH !== '1',
    ...(io.env.SWITCHYARD_PUBLISH_TOKEN ? { token: io.env.SWITCHYARD_PUBLISH_TOKEN } : {}),
    ...(io.env.GITHUB_TOKEN ? { pushToken: io.env.GITHUB_TOKEN } : {}),
  });
  if (!result.value) {
    printDiagnostics(io, result.errors);
    return 1;
  }
  const r = result.value;
  const line = r.unchanged
    ? `${r.env}: serial ${r.serial} was already published at ${r.target}; nothing changed`
    : `${r.env}: published serial ${r.serial} (commit ${r.commit.slice(0, 12)}, payload ${r.sha256.slice(0, 12)}…, ${r.length} bytes) to ${r.target}`;
  io.stdout(line);
  if (io.env.GITHUB_STEP_SUMMARY) {
    const core = await import('@actions/core');
    process.env.GITHUB_STEP_SUMMARY = io.env.GITHUB_STEP_SUMMARY;
    await core.summary
      .addHeading(`Published ${r.env}`, 3)
      .addTable([
        [
          { data: 'serial', header: true },
          { data: 'commit', header: true },
          { data: 'payload sha256', header: true },
          { data: 'bytes', header: true },
          { data: 'target', header: true },
        ],
        [String(r.serial), r.commit, r.sha256, String(r.length), r.unchanged ? `${r.target} (unchanged)` : r.target],
      ])
      .write();
  }
  return 0;
}

async function setup(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { repo: { type: 'string' }, owner: { type: 'string', multiple: true }, branch: { type: 'string' } },
  });
  const [owner, repo, extra] = (values.repo ?? '').split('/');
  if (!owner || !repo || extra !== undefined) throw new UsageError('setup needs --repo <owner/name>');
  const owners = values.owner ?? [];
  if (owners.length === 0 || owners.some((o) => !/^@[\w.-]+(\/[\w.-]+)?$|^[^@\s]+@[^@\s]+$/.test(o)))
    throw new UsageError('setup needs --owner <@user|@org/team|email> (repeatable): who must review policy changes');
  const token = io.env.GITHUB_TOKEN;
  if (!token) {
    io.stderr(
      'switchyard github setup: E_GITHUB_TOKEN GITHUB_TOKEN is not set (a token with admin rights on the repository)',
    );
    return 1;
  }
  let workflow: string;
  try {
    workflow = await readFile(join(io.cwd, '.github', 'workflows', 'pr.yml'), 'utf8');
  } catch {
    io.stderr(
      'switchyard github setup: E_SETUP_NO_PR_WORKFLOW .github/workflows/pr.yml cannot be read: the required checks are its jobs',
    );
    return 1;
  }
  const [{ createGitHubClient }, { prCheckNames, setupRepository }] = await Promise.all([
    import('../../github/client.ts'),
    import('../../github/repo-setup.ts'),
  ]);
  const checks = prCheckNames(workflow);
  const client = createGitHubClient({ token, ...(io.env.GITHUB_API_URL ? { apiUrl: io.env.GITHUB_API_URL } : {}) });
  try {
    const done = await setupRepository(client, {
      owner,
      repo,
      owners,
      checks,
      ...(values.branch ? { branch: values.branch } : {}),
    });
    io.stdout(
      `${owner}/${repo}@${done.branch}: required checks ${done.checks.join(', ')} (up to date with the branch), code-owner review required, admins included`,
    );
    io.stdout(`.github/CODEOWNERS ${done.codeowners}: policy files owned by ${owners.join(' ')}`);
    // Each model is called live only with its own key: the repository needs these secrets.
    const keys = await modelKeys(io.cwd);
    if (keys.length > 0)
      io.stdout(
        `model keys: add the repository secrets ${keys.map((k) => k.variable).join(', ')} (without one, its models are evaluated offline; docs/evaluation.md, "Keys in CI")`,
      );
    return 0;
  } catch (e) {
    const status = (e as { status?: number }).status;
    io.stderr(
      `switchyard github setup: E_SETUP_API ${status ?? ''} ${(e as Error).message}${status === 403 || status === 404 ? '\n  fix: the token needs admin rights on the repository (branch protection is an admin setting)' : ''}`,
    );
    return 1;
  }
}

const subcommands: Record<string, (args: string[], io: CommandIo) => Promise<number>> = {
  policy,
  annotate,
  stamp,
  summary,
  comment,
  publish,
  setup,
};

export const command: Command = {
  name: 'github',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const handler = sub ? subcommands[sub] : undefined;
    if (!handler) throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'a subcommand is required');
    return handler(rest, io);
  },
};

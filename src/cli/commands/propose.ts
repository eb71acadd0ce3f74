import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { createGitHubClient } from '../../github/client.ts';
import {
  AUTO_MERGEABLE,
  collectDecisions,
  planProposals,
  publishProposal,
  type ProposalAction,
} from '../../propose/index.ts';
import { UsageError, type Command } from '../command.ts';
import { DATABASE_OPTIONS, DATABASE_USAGE } from '../database-options.ts';
import { openEvidence } from '../evidence-store.ts';
import { printDiagnostics } from '../format-diagnostics.ts';

const usage = `Usage: switchyard propose [options]

Analyses every running experiment, live canary and model rollout against production evidence and turns each decision
into one branch and one pull request that edits the YAML (comments and formatting kept):
  advance   a canary or model rollout to its next stage (never skipping one)
  revert    a canary whose candidate is worse (percent → 0)
  kill      a model rollout whose shadow similarity misses the gate (killed: true)
  finish    a model rollout at 100%: move the model pin to the new snapshot and remove the rollout
  conclude  an experiment with a winner: stop it; the winning prompt version becomes active
Each PR body carries the evidence with charts. Re-running finds open PRs instead of duplicating them.

Options:
  --dry-run                    print the proposals (and their diffs' targets) without calling GitHub
  --format text|json           output (default text)
  --auto-merge <actions>       comma list of actions that merge themselves: revert, kill
  --repo <owner/name>          default: $GITHUB_REPOSITORY
  --base <branch>              default: main
  --env <name>                 only evidence from this environment
  --min-pairs <n>              shadow pairs required before a model rollout advances (default 100)
${DATABASE_USAGE}
  --root <dir>                 project root (default: current directory)
GitHub: token from $GITHUB_TOKEN, API from $GITHUB_API_URL (default https://api.github.com).

Exit codes: 0 done, 1 a proposal could not be planned or opened (or store/project problem), 2 usage error.`;

export const command: Command = {
  name: 'propose',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean', default: false },
        format: { type: 'string', default: 'text' },
        'auto-merge': { type: 'string' },
        repo: { type: 'string' },
        base: { type: 'string', default: 'main' },
        env: { type: 'string' },
        'min-pairs': { type: 'string' },
        ...DATABASE_OPTIONS,
        root: { type: 'string' },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.format !== 'text' && values.format !== 'json') throw new UsageError('--format must be text or json');
    const autoMerge = (values['auto-merge'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean) as ProposalAction[];
    for (const a of autoMerge)
      if (!AUTO_MERGEABLE.includes(a))
        throw new UsageError(
          `--auto-merge accepts only ${AUTO_MERGEABLE.join(', ')} (got '${a}'): advancing always needs a review`,
        );
    const minPairs = values['min-pairs'] === undefined ? undefined : Number(values['min-pairs']);
    if (minPairs !== undefined && !(Number.isInteger(minPairs) && minPairs >= 1))
      throw new UsageError('--min-pairs must be a positive integer');
    const repoSlug = values.repo ?? io.env.GITHUB_REPOSITORY;
    const dryRun = values['dry-run'];
    if (!dryRun) {
      if (!repoSlug || !/^[^/\s]+\/[^/\s]+$/.test(repoSlug))
        throw new UsageError('--repo owner/name (or $GITHUB_REPOSITORY) is required unless --dry-run');
      if (!io.env.GITHUB_TOKEN) throw new UsageError('$GITHUB_TOKEN is required unless --dry-run');
    }

    const evidence = await openEvidence('propose', values, io, 'nothing is proposed from an invalid tree');
    if (evidence === 1) return 1;
    const { project, store, root } = evidence;
    let analyses;
    try {
      analyses = await collectDecisions(store, project, { filter: { env: values.env }, minPairs });
    } finally {
      await store.close();
    }
    const plan = planProposals(project, analyses, {
      env: values.env,
      autoMerge,
      readFile: (path) => readFileSync(join(root, path), 'utf8'),
    });
    printDiagnostics(io, plan.errors);
    const proposals = plan.value ?? [];
    const summary = analyses.map((a) =>
      a.kind === 'shadow'
        ? `shadow ${a.rollout}: ${a.readyToSwitch ? 'ready' : a.failing ? 'failing' : 'not ready'}`
        : `${a.kind} ${a.id}: ${a.decision}${a.kind === 'experiment' && a.winner ? ` (${a.winner})` : ''}`,
    );

    if (dryRun) {
      if (values.format === 'json') io.stdout(JSON.stringify({ decisions: summary, proposals }, null, 2));
      else {
        io.stdout(summary.map((s) => `- ${s}`).join('\n') || '- nothing to analyse');
        for (const p of proposals)
          io.stdout(
            `\nwould open ${p.branch}: ${p.title}${p.autoMerge ? ' (auto-merge)' : ''}\n  ${p.edits.map((e) => `${e.action} ${e.path}`).join('\n  ')}`,
          );
        if (proposals.length === 0) io.stdout('no proposals');
      }
      return plan.errors.length > 0 ? 1 : 0;
    }

    const [owner, repo] = repoSlug!.split('/') as [string, string];
    const github = createGitHubClient({ token: io.env.GITHUB_TOKEN!, apiUrl: io.env.GITHUB_API_URL });
    const outcomes = [];
    for (const p of proposals) outcomes.push(await publishProposal(github, { owner, repo, base: values.base }, p));
    if (values.format === 'json') io.stdout(JSON.stringify({ decisions: summary, outcomes }, null, 2));
    else {
      io.stdout(summary.map((s) => `- ${s}`).join('\n') || '- nothing to analyse');
      for (const o of outcomes) {
        if (o.status === 'failed') io.stderr(`✖ ${o.branch}: ${o.code} ${o.message}`);
        else
          io.stdout(
            `${o.status === 'opened' ? '✔ opened' : '• already open'} #${o.number} ${o.url}${o.status === 'opened' && o.merged ? ' (merged)' : ''}`,
          );
      }
      if (proposals.length === 0) io.stdout('no proposals');
    }
    return plan.errors.length > 0 || outcomes.some((o) => o.status === 'failed') ? 1 : 0;
  },
};

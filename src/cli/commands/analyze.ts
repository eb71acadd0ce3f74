import { parseArgs } from '../parse-args.ts';
import { renderAnalysis, runAnalysis, type AnalysisFormat, type AnalysisTarget } from '../../analysis/index.ts';
import { UsageError, type Command } from '../command.ts';
import { DATABASE_OPTIONS, DATABASE_USAGE } from '../database-options.ts';
import { openEvidence } from '../evidence-store.ts';
import { printDiagnostics } from '../format-diagnostics.ts';

const usage = `Usage: switchyard analyze experiment <id> | shadow <rollout> | canary <id> [options]

Reads production evidence from the event store and prints the decision it supports:
  experiment  per-variant units exposed/reporting, means/proportions, difference with CI and p-value (Welch or
              two-proportion), always-valid (mSPRT) p-value as a running minimum over looks, sequential SRM,
              missing-data checks → winner | no difference yet | blocked: SRM | blocked: missing data
  shadow      production shadow pairs → avg / min / p10 similarity, failed calls, invalid scores, readyToSwitch
  canary      direction-aware candidate vs control index with always-valid CI → revert | hold | advance,
              plus guardrails (error, latency_ms, cost_usd)
Each experiment or canary analysis is one look of its sequential decision: its state is kept in the store.

Options:
  --format text|json|markdown   output (markdown includes Mermaid charts GitHub renders; default text)
  --env <name>                  only events from this environment
  --since <ISO date>            only events at or after this time
  --min-pairs <n>               shadow: scored pairs required before readyToSwitch (default 100)
${DATABASE_USAGE}
  --root <dir>                  project root (default: current directory)

Exit codes: 0 analysed, 1 store or project problem, 2 usage error.`;

const TARGETS: AnalysisTarget[] = ['experiment', 'shadow', 'canary'];
const FORMATS: AnalysisFormat[] = ['text', 'json', 'markdown'];

export const command: Command = {
  name: 'analyze',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'text' },
        env: { type: 'string' },
        since: { type: 'string' },
        'min-pairs': { type: 'string' },
        ...DATABASE_OPTIONS,
        root: { type: 'string' },
      },
    });
    const [target, id, ...extra] = positionals;
    if (!target || !TARGETS.includes(target as AnalysisTarget))
      throw new UsageError(`expected one of ${TARGETS.join(', ')}`);
    if (!id || extra.length > 0) throw new UsageError(`expected exactly one ${target} id`);
    const format = values.format as AnalysisFormat;
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    const sinceMs = values.since === undefined ? undefined : Date.parse(values.since);
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new UsageError(`--since '${values.since}' is not a date`);
    const minPairs = values['min-pairs'] === undefined ? undefined : Number(values['min-pairs']);
    if (minPairs !== undefined && !(Number.isInteger(minPairs) && minPairs >= 1))
      throw new UsageError('--min-pairs must be a positive integer');

    const evidence = await openEvidence('analyze', values, io);
    if (evidence === 1) return 1;
    const { project, store } = evidence;
    try {
      const result = await runAnalysis(store, project, target as AnalysisTarget, id, {
        filter: { env: values.env, sinceMs },
        minPairs,
      });
      if ('code' in result) {
        printDiagnostics(io, [result]);
        return 2;
      }
      io.stdout(renderAnalysis(result, format));
      return 0;
    } finally {
      await store.close();
    }
  },
};

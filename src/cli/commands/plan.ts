import { parseArgs } from '../parse-args.ts';
import { planFromTraffic, renderPlan } from '../../analysis/index.ts';
import { UsageError, type Command } from '../command.ts';
import { DATABASE_OPTIONS, DATABASE_USAGE } from '../database-options.ts';
import { openEvidence } from '../evidence-store.ts';

const usage = `Usage: switchyard plan experiment <id> [--mde 2%] [options]

Sample size and expected duration of an experiment from recorded traffic: units per arm for the
always-valid decision rule switchyard uses (and for a fixed-horizon test, for comparison), and the
days until every arm has them at the enrolment rate seen in the event store.

Options:
  --mde <x%|x>        relative minimum detectable effect (default: the experiment's metrics.mde, else 10%)
  --power <p>         target power (default 0.8)
  --alpha <a>         significance level (default 0.05)
  --baseline <x>      control mean (default: from the store); --sd <x> unit sd (default: from the store)
  --env <name>        only events from this environment
  --format text|json
${DATABASE_USAGE}
  --root <dir>        project root (default: current directory)

Exit codes: 0 planned, 1 store or project problem (or no baseline yet), 2 usage error.`;

function fraction(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.endsWith('%') ? Number(raw.slice(0, -1)) / 100 : Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`${name} '${raw}' is not a number`);
  return value;
}

export const command: Command = {
  name: 'plan',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        mde: { type: 'string' },
        power: { type: 'string' },
        alpha: { type: 'string' },
        baseline: { type: 'string' },
        sd: { type: 'string' },
        env: { type: 'string' },
        format: { type: 'string', default: 'text' },
        ...DATABASE_OPTIONS,
        root: { type: 'string' },
      },
    });
    const [target, id, ...extra] = positionals;
    if (target !== 'experiment' || !id || extra.length > 0) throw new UsageError('expected: plan experiment <id>');
    const mde = fraction('--mde', values.mde);
    if (mde !== undefined && !(mde > 0)) throw new UsageError('--mde must be positive (e.g. 2%)');
    const power = fraction('--power', values.power);
    if (power !== undefined && !(power > 0 && power < 1)) throw new UsageError('--power must be between 0 and 1');
    const alpha = fraction('--alpha', values.alpha);
    if (alpha !== undefined && !(alpha > 0 && alpha < 1)) throw new UsageError('--alpha must be between 0 and 1');
    const baseline = fraction('--baseline', values.baseline);
    const sd = fraction('--sd', values.sd);
    if (values.format !== 'text' && values.format !== 'json') throw new UsageError('--format must be text or json');
    const evidence = await openEvidence('plan', values, io);
    if (evidence === 1) return 1;
    const { project, store } = evidence;
    const experiment = project.experiments.get(id);
    if (!experiment) {
      await store.close();
      io.stderr(
        `switchyard plan: E_ANALYZE_UNKNOWN no experiment '${id}' (known: ${[...project.experiments.keys()].join(', ') || 'none'})`,
      );
      return 2;
    }
    try {
      const plan = await planFromTraffic(store, experiment, {
        mde,
        power,
        alpha,
        baseline,
        sd,
        filter: { env: values.env },
      });
      io.stdout(values.format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
      return 0;
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      io.stderr(
        `switchyard plan: E_PLAN_BASELINE no usable baseline for ${experiment.metrics.primary} yet (${error.message}); pass --baseline and --sd`,
      );
      return 1;
    } finally {
      await store.close();
    }
  },
};

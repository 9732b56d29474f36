import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { defaultWeights, engagementScore, type ScoreWeights } from './calc/score.ts';
import { classifyStage, defaultThresholds, type Stage, type StageThresholds } from './calc/stage.ts';
import type { Level } from './store/series.ts';
import { loadSubjectMetrics, type SubjectQuery } from './store/subjects.ts';

export interface LifecycleConfig {
  activation?: SubjectQuery['activation'];
  featureCategory?: string;
  weights?: Partial<ScoreWeights>;
  thresholds?: Partial<StageThresholds>;
  /** Email provider the outbox targets; `none` records transitions without enqueueing. */
  provider?: 'none' | 'kit' | 'loops';
  /** Stages whose entry enqueues an email-provider event (default: all but `new`). */
  emailOn?: readonly Stage[];
}

export interface RunLifecycleOptions {
  app: string;
  asOf: Date;
  levels?: readonly Level[];
  /** Compute and report, write nothing. */
  dryRun?: boolean;
  config?: LifecycleConfig;
}

export interface PlannedTransition {
  subjectType: Level;
  subjectId: string;
  from: Stage | null;
  to: Stage;
  score: number;
  email: string | null;
}

export interface RunLifecycleResult {
  asOf: string;
  dryRun: boolean;
  evaluated: Record<Level, number>;
  distribution: Record<Level, Partial<Record<Stage, number>>>;
  transitions: PlannedTransition[];
  /** Transitions newly recorded (0 on a rerun of the same evaluation). */
  recorded: number;
  enqueued: number;
}

const DAY = 86_400_000;

/** The outbox key of a transition (at most 100 characters, stable across reruns). */
export const transitionKey = (
  app: string,
  t: { subjectType: string; subjectId: string; to: string },
  asOf: Date,
) =>
  `lc_${createHash('sha256').update(`${app}|${t.subjectType}|${t.subjectId}|${t.to}|${asOf.toISOString()}`).digest('hex').slice(0, 48)}`;

/**
 * Evaluates every user and/or account as of `asOf`: engagement score, stage, and the transitions
 * from the stored stage. Unless `dryRun`, in one transaction: stages upserted, transitions
 * recorded once (unique per subject, stage and instant), and an outbox row per new transition
 * into a stage of `emailOn`.
 */
export async function runLifecycle(pool: Pool, options: RunLifecycleOptions): Promise<RunLifecycleResult> {
  const config = options.config ?? {};
  const weights = { ...defaultWeights, ...config.weights };
  const thresholds = { ...defaultThresholds, ...config.thresholds };
  const emailOn = new Set<Stage>(
    config.emailOn ?? ['activated', 'engaged', 'at_risk', 'dormant', 'paying', 'churned'],
  );
  const levels = options.levels ?? ['user', 'account'];
  const asOfDay = Date.parse(new Date(options.asOf.getTime() - 1).toISOString().slice(0, 10));
  const result: RunLifecycleResult = {
    asOf: options.asOf.toISOString(),
    dryRun: Boolean(options.dryRun),
    evaluated: { user: 0, account: 0 },
    distribution: { user: {}, account: {} },
    transitions: [],
    recorded: 0,
    enqueued: 0,
  };
  const evaluations: { level: Level; id: string; stage: Stage; score: number; changed: boolean }[] = [];

  for (const level of levels) {
    const [subjects, previous] = await Promise.all([
      loadSubjectMetrics(pool, {
        app: options.app,
        level,
        asOf: options.asOf,
        ...(config.activation ? { activation: config.activation } : {}),
        ...(config.featureCategory ? { featureCategory: config.featureCategory } : {}),
      }),
      pool.query<{ subject_id: string; stage: Stage }>(
        'select subject_id, stage from public.lifecycle_stages where app = $1 and subject_type = $2',
        [options.app, level],
      ),
    ]);
    const prev = new Map(previous.rows.map((r) => [r.subject_id, r.stage]));
    for (const s of subjects) {
      const daysSinceActive =
        s.lastActiveDay === null ? null : Math.round((asOfDay - Date.parse(s.lastActiveDay)) / DAY);
      const score = engagementScore(
        { daysSinceActive, activeDaysIn28: s.activeDaysIn28, distinctFeaturesIn28: s.distinctFeaturesIn28 },
        weights,
      );
      const before = prev.get(s.id) ?? null;
      const stage = classifyStage(
        {
          previous: before,
          score,
          daysSinceActive,
          activated: s.activated,
          paying: s.paying,
          everPaid: s.everPaid,
        },
        thresholds,
      );
      result.distribution[level][stage] = (result.distribution[level][stage] ?? 0) + 1;
      const changed = stage !== before;
      evaluations.push({ level, id: s.id, stage, score, changed });
      if (changed)
        result.transitions.push({
          subjectType: level,
          subjectId: s.id,
          from: before,
          to: stage,
          score,
          email: s.email,
        });
    }
    result.evaluated[level] = subjects.length;
  }
  if (options.dryRun) return result;

  const client = await pool.connect();
  try {
    await client.query('begin');
    for (const level of levels) {
      const rows = evaluations.filter((e) => e.level === level);
      if (rows.length === 0) continue;
      await client.query(
        `insert into public.lifecycle_stages as t (app, subject_type, subject_id, stage, score, since, evaluated_at)
         select $1, $2, id, stage, score, $6, $6 from unnest($3::text[], $4::text[], $5::numeric[]) as x(id, stage, score)
         on conflict (app, subject_type, subject_id) do update set
           stage = excluded.stage, score = excluded.score, evaluated_at = excluded.evaluated_at,
           since = case when t.stage = excluded.stage then t.since else excluded.since end`,
        [
          options.app,
          level,
          rows.map((r) => r.id),
          rows.map((r) => r.stage),
          rows.map((r) => r.score),
          options.asOf,
        ],
      );
    }
    const t = result.transitions;
    if (t.length > 0) {
      const recorded = await client.query<{ subject_type: Level; subject_id: string; to_stage: Stage }>(
        `insert into public.lifecycle_transitions (app, subject_type, subject_id, from_stage, to_stage, score, occurred_at)
         select $1, * , $7 from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[])
         on conflict do nothing returning subject_type, subject_id, to_stage`,
        [
          options.app,
          t.map((x) => x.subjectType),
          t.map((x) => x.subjectId),
          t.map((x) => x.from),
          t.map((x) => x.to),
          t.map((x) => x.score),
          options.asOf,
        ],
      );
      result.recorded = recorded.rowCount ?? 0;
      const provider = config.provider ?? 'none';
      if (provider !== 'none') {
        const fresh = new Set(recorded.rows.map((r) => `${r.subject_type}|${r.subject_id}|${r.to_stage}`));
        const mail = t.filter(
          (x) => emailOn.has(x.to) && fresh.has(`${x.subjectType}|${x.subjectId}|${x.to}`),
        );
        if (mail.length > 0) {
          const enq = await client.query(
            `insert into public.email_outbox (idempotency_key, provider, event_name, email, subject_id, payload, next_attempt_at)
             select k, $1, e, m, s, p::jsonb, $7 from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) as x(k, e, m, s, p)
             on conflict (idempotency_key) do nothing`,
            [
              provider,
              mail.map((x) => transitionKey(options.app, x, options.asOf)),
              mail.map((x) => `lifecycle_${x.to}`),
              mail.map((x) => x.email),
              mail.map((x) => x.subjectId),
              mail.map((x) =>
                JSON.stringify({
                  app: options.app,
                  subjectType: x.subjectType,
                  stage: x.to,
                  previousStage: x.from,
                  engagementScore: x.score,
                  at: options.asOf.toISOString(),
                }),
              ),
              options.asOf,
            ],
          );
          result.enqueued = enq.rowCount ?? 0;
        }
      }
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  return result;
}

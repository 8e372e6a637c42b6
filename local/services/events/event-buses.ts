import { randomUUID } from 'node:crypto';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { ruleArn } from '../../assembly/resource-identity';
import type { Clock } from '../../clock';
import type { Timeline } from '../../timeline';
import { AwsServiceError } from '../../http/twin-server';
import { type EventPattern, EventPatternError, compileEventPattern, matchesPattern, parseEventPattern } from './event-pattern';
import { nextCronTime, parseSchedule } from './schedule-expression';
import { type TargetInputSpec, targetInput } from './target-input';

export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

interface Target extends TargetInputSpec {
  readonly Id: string;
  readonly Arn: string;
}

interface Rule {
  readonly name: string;
  readonly arn: string;
  readonly bus: string;
  readonly pattern?: EventPattern;
  readonly schedule?: string;
  readonly targets: Target[];
}

/** Where targets of each kind are delivered; the twin wires these to its services. */
export interface TargetDelivery {
  invokeFunction(arn: string, event: unknown): Promise<{ ok: boolean; error?: string }>;
  startExecution(stateMachineArn: string, input: string): Promise<void>;
}

const LAMBDA_ASYNC_RETRIES = 2;

/**
 * AWS::Events::EventBus and ::Rule: PutEvents onto a bus (the default bus always exists), EventPattern matching,
 * schedule rules on the twin's clock, and targets (Lambda functions invoked asynchronously with Lambda's two
 * retries, Step Functions executions started, other targets recorded in the timeline only).
 */
export class EventBuses {
  readonly rules: Rule[] = [];
  readonly buses = new Set<string>(['default']);
  /** Events put on any bus, newest last (bounded), for the console and tests. */
  readonly recent: Array<{ bus: string; event: EventEnvelope; matchedRules: string[] }> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private started = false;

  constructor(
    private app: SynthesizedApp,
    private readonly clock: Clock,
    private readonly timeline: Timeline,
    private readonly delivery: TargetDelivery,
  ) {
    this.load(app);
  }

  /** A stack update: buses and rules read again from the new templates; schedules restart with the new rules. */
  reconcile(app: SynthesizedApp): void {
    this.app = app;
    for (const timer of this.timers.splice(0)) this.clock.cancel(timer);
    this.rules.length = 0;
    this.buses.clear();
    this.buses.add('default');
    this.load(app);
    if (this.started && !this.stopped) this.start();
  }

  private load(app: SynthesizedApp): void {
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Events::EventBus')) this.buses.add(stack.ref(logicalId));
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Events::Rule')) {
      const props = stack.properties(logicalId);
      if (props.State === 'DISABLED') continue;
      const bus = busName(props.EventBusName);
      const ref = stack.ref(logicalId);
      const name = ref.includes('|') ? ref.split('|')[1] : ref;
      const pattern = props.EventPattern;
      this.rules.push({
        name,
        arn: ruleArn(app.env, bus, name),
        bus,
        pattern: pattern === undefined ? undefined : loadPattern(logicalId, pattern),
        schedule: props.ScheduleExpression === undefined ? undefined : String(props.ScheduleExpression),
        targets: (props.Targets as Target[]) ?? [],
      });
    }
  }

  /** Starts the schedule rules. */
  start(): void {
    this.started = true;
    for (const rule of this.rules) if (rule.schedule) this.schedule(rule);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) this.clock.cancel(timer);
  }

  /** PutEvents: each entry becomes an event on its bus and goes to every rule it matches. */
  putEvents(entries: Array<Record<string, unknown>>): { Entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>; FailedEntryCount: number } {
    const results = entries.map((entry) => {
      const bus = busName(entry.EventBusName);
      if (!this.buses.has(bus)) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
      if (typeof entry.Source !== 'string' || typeof entry.DetailType !== 'string' || typeof entry.Detail !== 'string') {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
      }
      const event = this.envelope(entry.Source, entry.DetailType, detail, (entry.Resources as string[]) ?? [], entry.Time);
      this.dispatch(bus, event);
      return { EventId: event.id };
    });
    return { Entries: results, FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length };
  }

  /** An event from a service of the twin itself (e.g. CloudWatch alarm state changes on the default bus). */
  emit(source: string, detailType: string, detail: unknown, resources: string[], bus = 'default'): EventEnvelope {
    const event = this.envelope(source, detailType, detail, resources);
    this.dispatch(bus, event);
    return event;
  }

  /** JSON 1.1 operations of the EventBridge API served by the twin. */
  operations() {
    return {
      PutEvents: async (input: Record<string, unknown>) => {
        if (!Array.isArray(input.Entries) || input.Entries.length < 1 || input.Entries.length > 10) {
          throw new AwsServiceError('ValidationException', 'Entries must contain between 1 and 10 entries');
        }
        return this.putEvents(input.Entries as Array<Record<string, unknown>>);
      },
      ListRules: async (input: Record<string, unknown>) => ({
        Rules: this.rules
          .filter((r) => r.bus === busName(input.EventBusName))
          .map((r) => ({ Name: r.name, Arn: r.arn, EventBusName: r.bus, State: 'ENABLED', EventPattern: r.pattern && JSON.stringify(r.pattern), ScheduleExpression: r.schedule })),
      }),
    };
  }

  private envelope(source: string, detailType: string, detail: unknown, resources: string[], time?: unknown): EventEnvelope {
    const at = time === undefined ? new Date() : new Date(typeof time === 'number' ? time * 1000 : String(time));
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: this.app.env.accountId,
      time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.app.env.region,
      resources,
      detail,
    };
  }

  private dispatch(bus: string, event: EventEnvelope): void {
    const matched = this.rules.filter((r) => r.bus === bus && r.pattern && matchesPattern(r.pattern, event));
    this.recent.push({ bus, event, matchedRules: matched.map((r) => r.name) });
    if (this.recent.length > 500) this.recent.shift();
    // Events no rule matches stay in `recent` only; the timeline shows the ones that set something in motion.
    if (matched.length) this.timeline.add('event', `${bus}: ${event.source} "${event['detail-type']}" -> ${matched.map((r) => r.name).join(', ')}`);
    for (const rule of matched) this.deliver(rule, event);
  }

  private deliver(rule: Rule, event: EventEnvelope): void {
    for (const target of rule.targets) {
      const input = targetInput(target, event as unknown as Record<string, unknown>, rule);
      void this.deliverOne(rule, target, input);
    }
  }

  private async deliverOne(rule: Rule, target: Target, input: string): Promise<void> {
    const service = target.Arn.split(':')[2];
    try {
      if (service === 'lambda') {
        for (let attempt = 0; attempt <= LAMBDA_ASYNC_RETRIES; attempt++) {
          const result = await this.delivery.invokeFunction(target.Arn, JSON.parse(input));
          if (result.ok) return;
          this.timeline.add('warning', `rule ${rule.name}: ${target.Arn.split(':')[6]} failed (attempt ${attempt + 1}): ${result.error}`);
        }
      } else if (service === 'states') {
        await this.delivery.startExecution(target.Arn, input);
      } else {
        this.timeline.add('event', `rule ${rule.name}: target ${target.Arn} (${service}) is recorded only`);
      }
    } catch (err) {
      this.timeline.add('error', `rule ${rule.name}: delivery to ${target.Arn} failed: ${(err as Error).message}`);
    }
  }

  /** rate(): every period from start; cron(): at the accelerated clock's matching instants. */
  private schedule(rule: Rule): void {
    const schedule = parseSchedule(rule.schedule!);
    const fire = () => {
      if (this.stopped) return;
      this.timeline.add('schedule', `rule ${rule.name} fired (${rule.schedule})`);
      this.deliver(rule, this.envelope('aws.events', 'Scheduled Event', {}, [rule.arn]));
    };
    if (schedule.kind === 'rate') {
      this.timers.push(this.clock.every(schedule.periodMs, fire));
      return;
    }
    const next = () => {
      const at = nextCronTime(schedule.fields, this.clock.virtualNow());
      if (at === undefined || this.stopped) return;
      this.timers.push(
        this.clock.after((at - this.clock.virtualNow()), () => {
          fire();
          next();
        }),
      );
    };
    next();
  }
}

function busName(value: unknown): string {
  if (typeof value !== 'string' || value === '') return 'default';
  return value.startsWith('arn:') ? value.slice(value.indexOf('event-bus/') + 'event-bus/'.length) : value;
}

/** Like PutRule, an invalid EventPattern stops the rule from being created instead of never matching. */
function loadPattern(logicalId: string, pattern: unknown): EventPattern {
  try {
    if (typeof pattern === 'string') return parseEventPattern(pattern);
    compileEventPattern(pattern);
    return pattern as EventPattern;
  } catch (err) {
    if (err instanceof EventPatternError) throw new EventPatternError(`rule ${logicalId}: ${err.message}`);
    throw err;
  }
}

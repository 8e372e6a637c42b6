import { randomUUID } from 'node:crypto';
import type { SynthesizedApp } from '../../assembly/synthesized-app';
import { ruleArn } from '../../assembly/resource-identity';
import type { Clock } from '../../clock';
import type { Timeline } from '../../timeline';
import { AwsServiceError } from '../../http/twin-server';
import { type EventPattern, EventPatternError, compileEventPattern, matchesPattern, parseEventPattern } from './event-pattern';
import { nextCronTime, parseSchedule } from './schedule-expression';
import { type TargetInputSpec, targetInput } from './target-input';
import { type DeliveryFailure, deadLetterAttributes, deliveryFailure, nextAttempt } from './target-delivery-failure';

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
  readonly RetryPolicy?: { readonly MaximumRetryAttempts?: number; readonly MaximumEventAgeInSeconds?: number };
  readonly DeadLetterConfig?: { readonly Arn?: string };
}

interface Rule {
  readonly name: string;
  readonly arn: string;
  readonly bus: string;
  readonly pattern?: EventPattern;
  readonly schedule?: string;
  readonly targets: Target[];
}

/**
 * Where targets of each kind are delivered; the twin wires these to its services. A delivery that the target's service
 * refuses throws an error named by that service's error code (e.g. ResourceNotFoundException).
 */
export interface TargetDelivery {
  /** An asynchronous invocation (InvocationType Event): it returns once Lambda accepted the event. */
  invokeFunction(arn: string, event: unknown): Promise<void>;
  startExecution(stateMachineArn: string, input: string): Promise<void>;
  /** SendMessage to a dead-letter queue by its ARN. */
  sendToDeadLetterQueue(queueArn: string, body: string, attributes: Record<string, { DataType: string; StringValue: string }>): void;
}

/**
 * AWS::Events::EventBus and ::Rule: PutEvents onto a bus (the default bus always exists), EventPattern matching,
 * schedule rules on the twin's clock, and targets (Lambda functions invoked asynchronously, Step Functions executions
 * started, other targets recorded in the timeline only). A delivery the target's service refuses is retried per the
 * target's RetryPolicy, then goes to its DeadLetterConfig queue (see target-delivery-failure.ts).
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
      void this.deliverOne(rule, target, input, event, Date.now(), 0);
    }
  }

  private async deliverOne(rule: Rule, target: Target, input: string, event: EventEnvelope, firstAttemptAt: number, retries: number): Promise<void> {
    const service = target.Arn.split(':')[2];
    try {
      if (service === 'lambda') await this.delivery.invokeFunction(target.Arn, JSON.parse(input));
      else if (service === 'states') await this.delivery.startExecution(target.Arn, input);
      else this.timeline.add('event', `rule ${rule.name}: target ${target.Arn} (${service}) is recorded only`);
    } catch (err) {
      const failure = deliveryFailure(err as Error);
      const next = nextAttempt(failure, target.RetryPolicy, retries, this.clock.scale * (Date.now() - firstAttemptAt));
      this.timeline.add('warning', `rule ${rule.name}: delivery to ${target.Arn} failed (${failure.code}): ${failure.message}`);
      if ('delayMs' in next) {
        // Not in `timers`: a stack update restarts schedules, not deliveries under way (the twin's stop cancels them).
        this.clock.after(next.delayMs, () => void this.deliverOne(rule, target, input, event, firstAttemptAt, retries + 1));
        return;
      }
      this.deadLetter(rule, target, event, failure, retries, next.exhausted);
    }
  }

  /** The event, as EventBridge puts it in the target's dead-letter queue, or dropped when the target has none. */
  private deadLetter(rule: Rule, target: Target, event: EventEnvelope, failure: DeliveryFailure, retries: number, exhausted?: string): void {
    const queueArn = target.DeadLetterConfig?.Arn;
    if (!queueArn) {
      this.timeline.add('error', `rule ${rule.name}: event ${event.id} to ${target.Arn} dropped (no dead-letter queue)`);
      return;
    }
    try {
      this.delivery.sendToDeadLetterQueue(queueArn, JSON.stringify(event), deadLetterAttributes(rule.arn, target.Arn, failure, retries, exhausted));
      this.timeline.add('event', `rule ${rule.name}: event ${event.id} to ${target.Arn} -> dead-letter queue ${queueArn.split(':')[5]} (${failure.code})`);
    } catch (err) {
      this.timeline.add('error', `rule ${rule.name}: dead-letter queue ${queueArn} refused event ${event.id}: ${(err as Error).message}`);
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

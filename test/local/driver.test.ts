import { describe, expect, it } from 'vitest';
import { FLAG_NAMES, HELP, parseOptions, wantsHelp } from '../../local/driver/options';
import { targetInput } from '../../local/services/events/target-input';
import { queryPath } from '../../local/services/json-path';
import { applyTemplate, shouldEvaluateInTwin } from '../../local/services/states/payload-template';

describe('npm start options', () => {
  it('reads flags and values, with defaults', () => {
    expect(parseOptions(['--auto-approve', '--until', 'retrained', '--time-scale=120'])).toMatchObject({
      autoApprove: true,
      until: 'retrained',
      timeScale: 120,
      port: 4750,
      synth: true,
    });
    expect(parseOptions(['--no-synth']).synth).toBe(false);
  });

  it('names the flag of a bad value and refuses unknown flags', () => {
    expect(() => parseOptions(['--until', 'forever'])).toThrow(/--until: Invalid option/);
    expect(() => parseOptions(['--time-scale', '-3'])).toThrow(/--time-scale:/);
    expect(() => parseOptions(['--colour'])).toThrow('unknown option "--colour"');
  });

  it('describes every flag the parser takes in --help, and only those', () => {
    const described = [...HELP.matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1]).filter((flag) => flag !== '--help');
    expect(new Set(described)).toEqual(new Set(FLAG_NAMES));
    expect(FLAG_NAMES).toHaveLength(17);
    expect([wantsHelp(['--team', 'x', '--help']), wantsHelp(['-h']), wantsHelp(['--team', 'help'])]).toEqual([true, true, false]);
  });

  it("reads the team's dataset, the drift shift and the state file", () => {
    expect(parseOptions(['--team', 'maintenance', '--dataset', 'data/machines.parquet', '--drift-shift=3.5', '--state-file', '/tmp/t.json'])).toMatchObject({
      team: 'maintenance',
      dataset: 'data/machines.parquet',
      driftShift: 3.5,
      stateFile: '/tmp/t.json',
    });
    expect(parseOptions([])).toMatchObject({ driftShift: 2, stateFile: '.local/twin.json' });
    expect(parseOptions([]).dataset).toBeUndefined();
  });

  it('names the flag of a bad drift shift or a dataset without its path', () => {
    expect(() => parseOptions(['--drift-shift', '0'])).toThrow(/--drift-shift: .*>0/);
    expect(() => parseOptions(['--drift-shift', 'far'])).toThrow(/--drift-shift: .*number/);
    expect(() => parseOptions(['--dataset'])).toThrow('--dataset needs a value');
  });
});

describe('JSONPath subset', () => {
  const doc = { detail: { alarms: [{ name: 'a' }, { name: 'b' }], 'x-y': 1 }, list: [] };
  it('yields one value for a definite path and a list for a wildcard path', () => {
    expect(queryPath(doc, '$.detail.alarms[1].name')).toBe('b');
    expect(queryPath(doc, "$.detail['x-y']")).toBe(1);
    expect(queryPath(doc, '$.detail.alarms[*].name')).toEqual(['a', 'b']);
    expect(queryPath(doc, '$.list[*].name')).toEqual([]);
    expect(queryPath(doc, '$.missing')).toBeUndefined();
  });
});

describe('Step Functions payload templates the twin evaluates', () => {
  it('takes over only templates with a wildcard path and no intrinsic functions', () => {
    expect(shouldEvaluateInTwin({ 'names.$': '$.MetricAlarms[*].AlarmName' })).toBe(true);
    expect(shouldEvaluateInTwin({ 'name.$': '$.AlarmName' })).toBe(false);
    expect(shouldEvaluateInTwin({ 'names.$': '$.a[*].b', 'json.$': 'States.JsonToString($.a)' })).toBe(false);
  });

  it('gives a one-element list for one match, reads the context object, keeps static values', () => {
    const template = { 'names.$': '$.MetricAlarms[*].AlarmName', 'execution.$': '$$.Execution.Name', fixed: { a: 1 } };
    expect(applyTemplate(template, { MetricAlarms: [{ AlarmName: 'p99' }] }, { Execution: { Name: 'run-1' } })).toEqual({
      names: ['p99'],
      execution: 'run-1',
      fixed: { a: 1 },
    });
  });
});

describe('rule target input', () => {
  const event = { source: 'aws.cloudwatch', time: '2026-01-01T00:00:00Z', detail: { alarmName: 'drift', state: { value: 'ALARM' } } };
  const rule = { name: 'retrain', arn: 'arn:aws:events:us-east-1:000000000000:rule/retrain' };

  it('passes the event, a fixed Input, or the InputPath part', () => {
    expect(JSON.parse(targetInput({}, event, rule))).toEqual(event);
    expect(targetInput({ Input: '{"trigger":"schedule"}' }, event, rule)).toBe('{"trigger":"schedule"}');
    expect(JSON.parse(targetInput({ InputPath: '$.detail.state' }, event, rule))).toEqual({ value: 'ALARM' });
  });

  it('fills an InputTransformer template: placeholders inside strings as string content, others as JSON', () => {
    const input = targetInput(
      { InputTransformer: { InputPathsMap: { alarm: '$.detail.alarmName', state: '$.detail.state' }, InputTemplate: '{"reason":"alarm <alarm>","state":<state>,"rule":"<aws.events.rule-name>"}' } },
      event,
      rule,
    );
    expect(JSON.parse(input)).toEqual({ reason: 'alarm drift', state: { value: 'ALARM' }, rule: 'retrain' });
  });
});

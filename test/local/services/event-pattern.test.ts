import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../local/services/events/event-pattern';

/** Cases from the EventBridge user guide's "Content filtering in Amazon EventBridge event patterns". */
const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 3,
    x: 'Filled',
    'source-ip': '10.0.0.123',
    'file-type': 'log.png',
    tags: ['prod', 'web'],
    nested: [{ name: 'a', value: 1 }, { name: 'b', value: 2 }],
    nothing: null,
  },
};

describe('event pattern matching', () => {
  it('matches exact values, any of a list, and numbers numerically', () => {
    expect(matchesPattern({ source: ['aws.ec2'], detail: { state: ['running', 'terminated'] } }, event)).toBe(true);
    expect(matchesPattern({ source: ['aws.s3'] }, event)).toBe(false);
    expect(matchesPattern({ detail: { 'c-count': [5.0] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { 'c-count': ['5'] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { nothing: [null] } }, event)).toBe(true);
  });

  it('matches an array in the event when any element matches', () => {
    expect(matchesPattern({ detail: { tags: ['web'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { tags: ['dev'] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { nested: { name: ['b'] } } }, event)).toBe(true);
  });

  it('matches prefix, suffix and equals-ignore-case, also combined', () => {
    expect(matchesPattern({ 'detail-type': [{ prefix: 'EC2 Instance' }] }, event)).toBe(true);
    expect(matchesPattern({ detail: { 'file-type': [{ suffix: '.png' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { x: [{ 'equals-ignore-case': 'filled' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ prefix: { 'equals-ignore-case': 'TERM' } }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ prefix: 'run' }] } }, event)).toBe(false);
  });

  it('matches anything-but with a value, a list, a prefix and a suffix', () => {
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'running' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { state: [{ 'anything-but': { prefix: 'term' } }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { 'file-type': [{ 'anything-but': { suffix: '.txt' } }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { 'c-count': [{ 'anything-but': [5] }] } }, event)).toBe(false);
  });

  it('matches numeric ranges', () => {
    expect(matchesPattern({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { 'c-count': [{ numeric: ['>', 5] }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { 'c-count': [{ numeric: ['=', 5] }] } }, event)).toBe(true);
  });

  it('matches exists for present leaves and absent fields', () => {
    expect(matchesPattern({ detail: { state: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { state: [{ exists: false }] } }, event)).toBe(false);
    // exists matches leaves only, not objects
    expect(matchesPattern({ detail: [{ exists: true }] }, event)).toBe(false);
  });

  it('matches IPv4 CIDR blocks and wildcards', () => {
    expect(matchesPattern({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { 'file-type': [{ wildcard: 'log.*' }] } }, event)).toBe(true);
    expect(matchesPattern({ resources: [{ wildcard: 'arn:aws:ec2:*:instance/i-*' }] }, event)).toBe(true);
  });

  it('matches $or of sub-patterns', () => {
    const pattern = { source: ['aws.ec2'], $or: [{ detail: { state: ['running'] } }, { detail: { 'c-count': [{ numeric: ['>', 4] }] } }] };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern({ $or: [{ source: ['a'] }, { source: ['b'] }] }, event)).toBe(false);
  });

  it('requires every field of the pattern to match', () => {
    expect(matchesPattern({ source: ['aws.ec2'], detail: { state: ['running'] } }, event)).toBe(false);
  });
});

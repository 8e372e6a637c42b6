import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../console/src/lib/markdown';

describe('renderMarkdown', () => {
  it('renders headings, emphasis, code and lists', () => {
    expect(renderMarkdown('# Fraud model\nServing **card-fraud** with *care*: `auc`\n\n- one\n- two')).toBe(
      '<h3>Fraud model</h3><p>Serving <strong>card-fraud</strong> with <em>care</em>: <code>auc</code></p><ul><li>one</li><li>two</li></ul>',
    );
  });

  it('escapes HTML in the source so a widget cannot inject markup or script', () => {
    const html = renderMarkdown('<img src=x onerror=alert(1)> **<script>x</script>**');
    expect(html).toBe('<p>&lt;img src=x onerror=alert(1)&gt; <strong>&lt;script&gt;x&lt;/script&gt;</strong></p>');
  });

  it('links only http(s) and in-page addresses', () => {
    const html = renderMarkdown('[runbook](https://example.com/rb) [bad](javascript:alert(1))');
    expect(html).toContain('<a href="https://example.com/rb" rel="noopener noreferrer">runbook</a>');
    expect(html).not.toContain('javascript');
    expect(html.match(/<a /g)).toHaveLength(1);
  });

  it('cannot break out of an attribute with quotes in a link', () => {
    expect(renderMarkdown('[x](https://a.test/"onmouseover="alert(1))')).not.toContain('"onmouseover');
  });

  it('renders pipe tables', () => {
    expect(renderMarkdown('| Alarm | Action |\n|---|---|\n| Latency | page |')).toBe(
      '<table><thead><tr><th scope="col">Alarm</th><th scope="col">Action</th></tr></thead><tbody><tr><td>Latency</td><td>page</td></tr></tbody></table>',
    );
  });
});

"""Check `code`: parse every snippet; flag syntax errors, Python 2 idioms and removed APIs (with the fix)."""

from __future__ import annotations

from test_audit_support import line_of, original_span, parse_simple

from coach.audit.checks import AuditContext
from coach.audit.checks.code import check_code
from coach.audit.kb import load_knowledge
from coach.audit.runner import source_claims


def _page_flags(path):
    """The code check's flags on one page, parsed as `coach index add` parses it."""
    from corpus import parse_file

    return check_code(source_claims(parse_file(path))[0], AuditContext(kb=load_knowledge()))


def _flags():
    ps = parse_simple("code_source.md")
    claims, _ = source_claims(ps)
    return ps, claims, check_code(claims, AuditContext(kb=load_knowledge()))


def test_snippets_are_found_with_original_spans():
    ps, claims, _ = _flags()
    code = [c for c in claims if c.kind == "code"]
    expected = [line_of(ps, "import tensorflow as tf"), line_of(ps, "import tensorflow as tf") + 9,
                line_of(ps, "layers = tf.keras"), line_of(ps, "for i in xrange")]
    assert [c.line_start for c in code] == expected
    for c in code:
        assert c.quote == original_span(ps, c.line_start, c.line_end)


def test_correct_code_is_not_flagged():
    ps, _, flags = _flags()
    first_q, second_q = line_of(ps, "How do you define"), line_of(ps, "How do you print")
    assert not [f for f in flags if first_q < f.line_start < second_q]


def test_python2_print_is_flagged_on_its_line():
    ps, _, flags = _flags()
    ln = line_of(ps, "print sess.run")
    hit = [f for f in flags if f.kind == "python2" and f.line_start == ln]
    assert hit and hit[0].quote == "print sess.run(tf.constant(1))"
    assert "print(" in hit[0].correction and hit[0].verdict == "error"


def test_removed_api_is_flagged_with_its_replacement():
    ps, _, flags = _flags()
    ln = line_of(ps, "sess = tf.Session()")
    hit = [f for f in flags if f.kind == "removed_api" and f.line_start == ln]
    assert hit, flags
    assert "TensorFlow 2.0" in hit[0].reason and "eager" in hit[0].correction
    assert hit[0].evidence[0]["type"] == "knowledge"


def test_unclosed_bracket_spans_the_statement():
    ps, _, flags = _flags()
    ln = line_of(ps, "layers = tf.keras.Sequential([")
    hit = [f for f in flags if f.kind == "syntax" and f.line_start == ln]
    assert hit and hit[0].line_end == ln + 2
    assert "never closed" in hit[0].reason and hit[0].evidence[0]["type"] == "parser"
    assert hit[0].quote == original_span(ps, ln, ln + 2)


def test_other_python2_idioms():
    ps, _, flags = _flags()
    kinds = {(f.kind, f.line_start) for f in flags}
    assert ("python2", line_of(ps, "xrange")) in kinds
    assert ("python2", line_of(ps, "except ValueError, e")) in kinds


def test_fragments_parse_leniently():
    from coach.audit.types import Claim

    def claim(text):
        return Claim(record_id="r:1", source="s", line_start=1, line_end=text.count("\n") + 1, quote=text, text=text, kind="code")

    ok = ["    return x + 1", ">>> import math\n>>> math.sqrt(4)", "x.shape\n%matplotlib inline", "yield item"]
    for text in ok:
        assert not check_code([claim(text)], AuditContext(kb=load_knowledge())), text
    bad = check_code([claim("model.fit(x, y\nprint('done')")], AuditContext(kb=load_knowledge()))
    assert bad and bad[0].kind == "syntax"


def test_markdown_fences_are_not_code_and_utf16_sources_are_read_as_indexed(tmp_path):
    """Correct code in a ```python fence got two "does not parse" major flags (on the fence lines), a ```sql block
    was parsed as Python, and a UTF-16 source was read as cp1252 with NULs: its errors went unflagged and one bogus
    flag quoted NULs."""
    from corpus import parse_file

    from coach.audit.sourcefile import read_lines

    doc = tmp_path / "fenced.md"
    doc.write_text("# Notes\n\n### 1. How do you print a value in Python?\nUse print:\n\n```python\nx = 42\nprint(x)\n"
                   "```\n\n### 2. How do you count rows?\nWith COUNT:\n\n```sql\nSELECT COUNT(*) FROM t;\n```\n",
                   encoding="utf-8")
    ps = parse_file(doc)
    claims, _ = source_claims(ps)
    assert check_code(claims, AuditContext(kb=load_knowledge())) == []
    wide = tmp_path / "wide.txt"
    wide.write_bytes("1. What is a list?\nA list is a mutable sequence.\n".encode("utf-16"))
    assert read_lines(wide)[:2] == ["1. What is a list?", "A list is a mutable sequence."]


def test_shell_sessions_are_not_python_and_html_code_keeps_its_lines(tmp_path):
    """Found in a walkthrough: a terminal session in an HTML <pre><code> block ("$ git cat-file -p HEAD" and its
    output) got six "does not parse" flags, the fences included, each one line below where it is. A shell session
    is not Python (HTML or text), and a Python error in an HTML <pre> is flagged on its own line."""
    from corpus import parse_file

    kb = AuditContext(kb=load_knowledge())
    page = tmp_path / "git.html"
    page.write_text("<html><body>\n<h2>How do you inspect a Git object?</h2>\n<p>Use cat-file:</p>\n"
                    "<pre><code>$ git cat-file -t 3b18e51\nblob\n$ git cat-file -p HEAD^{tree}\n"
                    "040000 tree 9d2f1c0... src\n</code></pre>\n"
                    "<h2>What does this function return?</h2>\n<p>Look at it:</p>\n"
                    "<pre><code>def add(a, b):\n    total = a +\n    return total\n</code></pre>\n</body></html>\n",
                    encoding="utf-8")
    claims, _ = source_claims(parse_file(page))
    flags = check_code(claims, kb)
    assert [(f.line_start, f.quote.strip()) for f in flags] == [(12, "total = a +")], flags  # its HTML line
    text = tmp_path / "shell.md"
    text.write_text("# Notes\n\n### How do you list files?\nRun it:\n\n```\n$ ls -la\ntotal 8\n"
                    "drwxr-xr-x 2 me me 4096 .\n```\n\nuser@host:~$ git status\n", encoding="utf-8")
    claims, _ = source_claims(parse_file(text))
    assert check_code(claims, kb) == []


def _code_flags(path, text: str) -> list:
    """The code check's flags on a source written to ``path``."""
    from corpus import parse_file

    path.write_text(text, encoding="utf-8")
    claims, _ = source_claims(parse_file(path))
    return check_code(claims, AuditContext(kb=load_knowledge()))


def test_a_block_of_commands_without_prompts_is_not_python(tmp_path):
    # a walkthrough's untagged "git reset --soft HEAD~1   # undo the last commit" block got three "major" syntax errors
    flags = _code_flags(tmp_path / "git.html",
                        "<html><body>\n<h2>Explain git reset.</h2>\n<p>It moves the branch.</p>\n"
                        "<pre><code>git reset --soft HEAD~1   # undo the last commit\ngit reset HEAD~1\n"
                        "git reset --hard HEAD~1\n</code></pre>\n"
                        "<h2>What is wrong here?</h2>\n<p>Look:</p>\n"
                        "<pre><code>ls = [1, 2]\ncat(ls\n</code></pre>\n</body></html>\n")
    assert [f.quote.strip() for f in flags] == ["cat(ls"], flags  # Python that starts like a command is still read
    from coach.audit.claims import _shell_session

    for shell in (["cd ..", "git status"], ["find . -name '*.py'"], ["pip install flask", "python app.py"],
                  ["docker run \\", "  -p 8080:80 \\", "  nginx"]):
        assert _shell_session(shell), shell
    for python in (["ls += [4"], ["ls is None"], ["cat .strip()"], ["ls * 2"], ["ls = [1, 2]"]):
        assert not _shell_session(python), python


def test_a_block_in_a_braced_language_is_not_python(tmp_path):
    # a walkthrough's untagged NGINX config in <pre><code> got seven "major" syntax errors ("'{' was never closed")
    from coach.audit.claims import _braced_language

    flags = _code_flags(tmp_path / "lb.html",
                        "<html><body>\n<h2>How do you configure a load balancer?</h2>\n<p>For example:</p>\n"
                        "<pre><code>upstream api_backend {\n    least_conn;\n    server 10.0.0.11:8080 weight=3;\n}\n\n"
                        "server {\n    listen 80;\n    location /api/ {\n        proxy_pass http://api_backend;\n    }\n}\n"
                        "</code></pre>\n<h2>What is wrong here?</h2>\n<p>Look:</p>\n"
                        "<pre><code>config = {\n    'a': 1,\n\ndef f(x):\n    return x\n</code></pre>\n</body></html>\n")
    assert flags and all(f.line_start >= 17 for f in flags), flags  # the Python block's error only
    # the same in a Markdown fence without a language tag (the original lines' path)
    assert _code_flags(tmp_path / "lb.md", "# Notes\n\n### How do you configure it?\nLike this:\n\n```\nserver {\n"
                                           "    listen 80;\n}\n```\n") == []
    assert _braced_language(["function f(x) {", "  if (x) {", "    return 1;", "  }", "}"])
    for python in (["d = {", "    'a': 1,", "}"], ["def f(x):", "    return {x: 1};"], ["f({", "  'a': 1})"],
                   ["x = a // b", "print('=> not JavaScript', \"a === b\")"], ["letters = 3", "constant = 1"],
                   ["# ===== setup =====", "import os", "print os.getcwd()"]):  # a comment banner (a review)
        assert not _braced_language(python), python
    # JavaScript with no block opened by "{": a walkthrough's event-loop snippet got three "major" syntax errors
    js = "console.log('A');\nsetTimeout(() => console.log('B'), 0);\nPromise.resolve().then(() => console.log('C'));\n" \
         "console.log('D');\n// Output: A, D, C, B"
    assert _braced_language(js.split("\n"))
    assert _code_flags(tmp_path / "loop.html", "<html><body>\n<h2>In what order are these logged?</h2>\n<p>Run:</p>\n"
                                               "<pre><code>" + js.replace(">", "&gt;") + "\n</code></pre>\n</body></html>\n") == []


def test_a_source_edited_after_indexing_is_audited_as_indexed(tmp_path):
    """A source edited and not re-added is still taught from its indexed text: the audit read the NEW file at the
    indexed records' line numbers, so the indexed snippet's removed API went unflagged (a review)."""
    from corpus import parse_file

    doc = tmp_path / "pynotes.md"
    doc.write_text("# Notes\n\n### 1. How do you loop over a dict?\nUse the items method of the dictionary.\n\n"
                   "```python\nfor k, v in d.iteritems():\n    print(k, v)\n```\n", encoding="utf-8")
    ps = parse_file(doc)
    before = [f for f in check_code(source_claims(ps)[0], AuditContext(kb=load_knowledge())) if "iteritems" in f.quote]
    assert before
    # the user fixes the snippet and adds front matter, but does not index the file again
    doc.write_text("---\ntitle: notes\n---\n" + doc.read_text(encoding="utf-8").replace("iteritems", "items"),
                   encoding="utf-8")
    claims, lines = source_claims(ps)
    assert lines is None  # the file's lines are not the indexed ones: the records' own text is read
    after = [f for f in check_code(claims, AuditContext(kb=load_knowledge())) if "iteritems" in f.quote]
    assert [(f.line_start, f.kind) for f in after] == [(f.line_start, f.kind) for f in before]


def test_dockerfiles_and_yaml_are_not_python_tagged_or_not(tmp_path):
    """A walkthrough's scraped Kubernetes page: its Dockerfile and YAML blocks (in <pre><code>, some with
    class="language-dockerfile") got 13 false "major" syntax errors, "Fix the syntax so the snippet runs in Python 3",
    repeated under every grade, Ask answer and export. A broken Python block beside them is still flagged."""
    page = tmp_path / "k8s.html"
    page.write_text(
        "<html><body><main><h2>1. What does a multi-stage Dockerfile look like?</h2><p>Like this:</p>\n"
        "<pre><code>FROM golang:1.22 AS build\nWORKDIR /src\nRUN go build -o /out/app ./cmd/app\n\n"
        "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app /app\nENTRYPOINT [\"/app\"]\n</code></pre>\n"
        "<h2>2. How do you set resource limits?</h2><p>In the container spec:</p>\n"
        "<pre><code>resources:\n  requests:\n    cpu: \"250m\"\n    memory: \"256Mi\"\n  limits:\n    cpu: \"500m\"\n"
        "</code></pre>\n"
        "<h2>3. What does a Deployment manifest start with?</h2><p>Its kind and metadata:</p>\n"
        "<pre class=\"language-yaml\"><code>apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
        "</code></pre>\n"
        "<h2>4. How do you print in Python?</h2><p>Call print:</p>\n"
        "<pre><code class=\"language-python\">config = {\n    \"cpu\": \"250m\",\n}\nprint(config[\"cpu\"]\n"
        "</code></pre></main></body></html>\n", encoding="utf-8")
    flags = _page_flags(page)
    assert [(f.kind, f.quote.splitlines()[0]) for f in flags] == [("syntax", 'print(config["cpu"]')], flags
    from coach.audit.claims import not_python

    # a CI file's block scalar holds shell lines: still YAML (a review of this rule)
    assert not_python(["jobs:", "  test:", "    steps:", "      - run: |", "          pip install -r requirements.txt",
                       "          pytest -q"])


def test_an_html_code_block_keeps_its_language_and_no_blank_last_line():
    from corpus.html import html_to_lines

    lines = html_to_lines('<main><p>See:</p><pre><code class="language-dockerfile">FROM python:3.12\n</code></pre>'
                          '<pre data-lang="YAML">a: 1\n</pre><pre class="brush: bash">ls -la\n</pre>'
                          '<pre><code>x = 1\n\n</code>\n</pre></main>')
    assert lines == ["See:", "```dockerfile", "FROM python:3.12", "```", "```yaml", "a: 1", "```", "```bash", "ls -la",
                     "```", "```", "x = 1", "```"]


def test_blocks_with_no_line_of_python_are_not_read_as_python(tmp_path):
    """A walkthrough's web-security page: HTML, an HTTP header and a CSP header in <pre><code> got five false "major"
    syntax errors ("Fix the syntax so the snippet runs in Python 3"), shown on every citation of their answers. A
    block with no Python line is another language; Python beside them (broken or not) is still read."""
    page = tmp_path / "websec.html"
    page.write_text(
        "<html><body><main><h2>1. What is XSS?</h2><p>Injected script runs in the victim's page:</p>\n"
        "<pre><code>&lt;script&gt;alert(document.cookie)&lt;/script&gt;</code></pre>\n"
        "<h2>2. How are filters bypassed?</h2><p>With event handlers:</p>\n"
        "<pre><code>&lt;img src=x onerror=alert(1)&gt;</code></pre>\n"
        "<h2>3. What does a hardened session cookie look like?</h2><p>Like this:</p>\n"
        "<pre><code>Set-Cookie: session=abc123; HttpOnly; Secure; SameSite=Lax; Path=/</code></pre>\n"
        "<h2>4. What is a strict CSP?</h2><p>A header:</p>\n"
        "<pre><code>Content-Security-Policy: default-src 'self'; object-src 'none'</code></pre>\n"
        "<h2>5. How do you hash a password?</h2><p>With argon2:</p>\n"
        "<pre><code>from argon2 import PasswordHasher\nph = PasswordHasher()\nhash = ph.hash(\"pw\")</code></pre>\n"
        "<h2>6. How do you make a variable?</h2><p>Like this:</p>\n"
        "<pre><code>W = tf.Variable([.3].dtype=tf.float32)</code></pre>\n"
        "<h2>7. How do you query safely?</h2><p>With parameters:</p>\n"
        "<pre><code>cursor.execute(\"SELECT * FROM users WHERE name = %s\", (name,)</code></pre>\n"
        "</main></body></html>\n", encoding="utf-8")
    flags = _page_flags(page)
    assert sorted(f.quote for f in flags) == ['W = tf.Variable([.3].dtype=tf.float32)',
                                              'cursor.execute("SELECT * FROM users WHERE name = %s", (name,)'], flags
    from coach.audit.claims import _python_line

    for line in ("print x", ">>> 1 + 1", "model = Sequential([", "x += 1", "def f(x)", "return y",
                 "model.fit(X, y epochs=10)", "np.array([1, 2, 3)", "@app.route('/')", "match command:"):
        assert _python_line(line), line
    for line in ("<script>alert(1)</script>", "SELECT * FROM t WHERE a = 1", "HTTP/1.1 200 OK", "X-Frame-Options: DENY",
                 "Host: bank.example.com", "hello", "42", "# a comment"):
        assert not _python_line(line), line
    # a review of this rule: broken one-line Python (tagged or not) is still read; an HTTP request is not Python
    page = tmp_path / "more.html"
    page.write_text(
        "<html><body><main><h2>1. How do you train it?</h2><p>Call fit:</p>\n<pre><code>model.fit(X, y epochs=10)</code></pre>\n"
        "<h2>2. How do you make an array?</h2><p>With numpy:</p>\n"
        "<pre><code class=\"language-python\">np.array([1, 2, 3)</code></pre>\n"
        "<h2>3. What does a CSRF request look like?</h2><p>A forged form post:</p>\n"
        "<pre><code>POST /transfer HTTP/1.1\nHost: bank.example.com\nCookie: session=abc123\n\namount=1000</code></pre>\n"
        "</main></body></html>\n", encoding="utf-8")
    assert sorted((f.kind, f.quote) for f in _page_flags(page)) == [
        ("syntax", "model.fit(X, y epochs=10)"), ("syntax", "np.array([1, 2, 3)")]

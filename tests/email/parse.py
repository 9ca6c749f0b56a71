"""Parse RFC 5322 messages with Python's email package (the strict default
policy) and print what a mail client would see, as JSON: decoded headers,
the MIME structure and each text part decoded. Usage: parse.py FILE..."""
import email
import json
import sys
from email import policy

out = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        raw = f.read()
    m = email.message_from_bytes(raw, policy=policy.strict)
    parts = []
    for p in m.walk():
        if p.is_multipart():
            continue
        parts.append({"type": p.get_content_type(), "charset": p.get_content_charset(), "content": p.get_content()})
    out.append({
        "path": path,
        "headers": {k: str(v) for k, v in m.items()},
        "type": m.get_content_type(),
        "defects": [repr(d) for d in m.defects],
        "parts": parts,
        "long_lines": sum(1 for line in raw.split(b"\r\n") if len(line) > 998),
        "crlf": raw.count(b"\n") == raw.count(b"\r\n"),
    })
json.dump(out, sys.stdout, ensure_ascii=False)

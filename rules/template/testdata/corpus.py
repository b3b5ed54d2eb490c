#!/usr/bin/env python3
"""Builds templates_rules.yml and templates_test.yml, the promtool corpus.

Each case is one alerting rule over one input series tv{case="<name>",
val="<value>"} (the C++ test reads $value back from the `val` label). The
expected annotations are NOT written by hand: run with --update to ask
promtool (Prometheus 2.42) what it renders and store that as
exp_annotations; check_with_promtool.sh then re-verifies the files.
"""
import re
import subprocess
import sys

import yaml

VALUES = ["1234.5", "1e6", "0.000123", "1e-05", "NaN", "+Inf", "-Inf", "100000", "123456789",
          "0.1", "3.14", "-0.5", "1e21", "0", "86399.999", "1435065584.128", "0.98765", "-1e-10"]

NUMERIC = {
    "v": "{{ $value }}",
    "dot": "{{ .Value }}",
    "h": "{{ humanize $value }}",
    "h1024": "{{ humanize1024 $value }}",
    "hd": "{{ humanizeDuration $value }}",
    "hp": "{{ humanizePercentage $value }}",
    "ht": "{{ humanizeTimestamp $value }}",
    "pf": '{{ printf "%.2f|%f|%.0f" $value $value $value }}',
    "pe": '{{ printf "%e|%.3E" $value $value }}',
    "pg": '{{ printf "%g|%.3g|%G|%.10g" $value $value $value $value }}',
    "pv": '{{ printf "%v|%s|%d" $value $value $value }}',
    "pw": '{{ printf "[%8.3f|%-8.1f|%08.2f|%+.1e|% .2f|%+v]" $value $value $value $value $value $value }}',
    "cmp": '{{ if gt $value 100.0 }}high{{ else if gt $value 0.5 }}mid{{ else }}low{{ end }}',
    "print": "{{ print $value 1 2 }}|{{ println $value }}",
}

CASES = {}
for i, v in enumerate(VALUES):
    CASES[f"num{i}"] = (v, {}, NUMERIC)

CASES["basic"] = ("1234.5", {"instance": "host1.example.com:9100", "job": "node"}, {
    "inst": "{{ $labels.instance }}",
    "dotlabels": "{{ .Labels.job }} {{ .Labels.instance }}",
    "missing": "[{{ $labels.nope }}][{{ .Labels.nope }}]",
    "index": '{{ index $labels "instance" }}[{{ index $labels "nope" }}]',
    "map": "{{ $labels }}",
    "ext": "{{ $externalLabels.region }} {{ $externalLabels }} {{ $externalURL }} {{ .ExternalURL }}",
    "pipe": '{{ $labels.job | toUpper | printf "%s!" }} {{ (index $labels "job") }}',
    "vars": "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ $y }}{{ end }}{{ $x }}",
    "with": "{{ with $labels.job }}job={{ . }}{{ end }} {{ with $labels.nope }}x{{ else }}none{{ end }}",
    "range": "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
    "range1": "{{ range $labels }}{{ . }},{{ end }}{{ range $v := $labels }}<{{ $v }}>{{ end }}",
    "rangeelse": "{{ range $externalLabels.nope }}x{{ else }}empty{{ end }}",
    "break": '{{ range $k, $v := $labels }}{{ if eq $k "job" }}{{ break }}{{ end }}{{ if eq $k "case" }}{{ continue }}{{ end }}{{ $k }},{{ end }}',
    "logic": '{{ or "" "fallback" }} {{ and 1 0 }} {{ and 1 "x" }} {{ or 0 "" }} {{ not false }} {{ not "x" }}',
    "eq": '{{ if eq $labels.job "x" "node" }}yes{{ end }} {{ eq 1 1 }} {{ ne "a" "b" }} {{ lt 1 2 }} {{ le 2 2 }} {{ ge "b" "a" }} {{ eq 1.5 1.5 }}',
    "len": '{{ len $labels }} {{ len "héllo" }} {{ slice "abcdef" 1 3 }} {{ slice "abcdef" 2 }} {{ index "abc" 1 }}',
    "strs": '{{ title "hello world-foo_bar baz.qux" }} {{ toUpper "MiXed" }} {{ toLower "MiXed" }}',
    "ports": '{{ stripPort $labels.instance }} {{ stripPort "[::1]:80" }} {{ stripPort "nohost" }} {{ stripPort "a:b:c" }}',
    "domains": '{{ stripDomain $labels.instance }} {{ stripDomain "10.0.0.1:80" }} {{ stripDomain "foo.bar" }} {{ stripDomain "[2001:db8::1]:443" }} {{ stripDomain "localhost" }}',
    "re": '{{ reReplaceAll "(.*):.*" "$1" $labels.instance }} {{ reReplaceAll "o" "0" "foo boo" }} {{ reReplaceAll "x*" "-" "abc" }} {{ reReplaceAll "(?P<h>[a-z]+)\\\\.(?P<d>.*)" "${d}/${h}/$1x/$$" "web.example" }}',
    "match": '{{ if match "^host" $labels.instance }}m{{ end }}{{ if match "^ost" $labels.instance }}n{{ end }} {{ match "a.c" "xabcx" }}',
    "escape": '{{ html "<a href=\\"x\\">&\'" }} {{ js "<a>\'\\"\\\\&=\\n" }} {{ urlquery "a b&c=d/é" }} {{ "<b>" | safeHtml }}',
    "links": '{{ graphLink "up{job=\\"x\\"}" }} {{ tableLink "rate(x[5m]) > 0" }}',
    "dur": '{{ parseDuration "1h30m" }} {{ parseDuration "250ms" }} {{ parseDuration "1d" }}',
    "define": '{{ define "x" }}[{{ .arg0 }}-{{ .arg1 }}]{{ end }}{{ template "x" (args 1 "two") }}',
    "block": '{{ block "b" $labels.job }}<{{ . }}>{{ end }}',
    "time": '{{ toTime 1435065584.128 }} | {{ (toTime 1435065584).Unix }} | {{ toTime 0 }}',
    "printing": '{{ print 1 2 "a" "b" 3 }}|{{ print nil }}|{{ println "a" 1 }}|{{ print true false }}',
    "printf": '{{ printf "%s|%10s|%-10s|%q|%x|%X|%5.2s" "abc" "abc" "abc" "a\\"b\\n" "hi" "hi" "abcdef" }}',
    "printfint": '{{ printf "%d|%5d|%-5d|%05d|%x|%o|%b|%c|%q|%U|%+d|%#x|%#o|% d" 42 42 42 42 255 8 5 65 65 65 42 255 8 7 }}',
    "printfbad": '{{ printf "%d %s" "x" 5 }}|{{ printf "%d" }}|{{ printf "x" 1 "a" }}|{{ printf "%z" 3 }}|{{ printf "%!" }}|{{ printf "%" }}',
    "printfmix": '{{ printf "%v %v %v %v %t %5.1f%%" true 1.5 3 "s" true 99.44 }} {{ printf "%.3g|%10.4e|%G|%v|%v" 1234.5678 0.000123 1e-10 1e6 100000.0 }}',
    "printfmap": '{{ printf "%v" $externalLabels }} {{ printf "%s" $externalLabels }} {{ printf "%d" $externalLabels }}',
    "numbers": "{{ 1e6 }} {{ 0x1F }} {{ 1_000 }} {{ 0.5 }} {{ -7 }} {{ 1e3 }} {{ 'a' }} {{ 1.0 }} {{ 0o17 }} {{ 017 }} {{ .5 }} {{ 0x1p4 }}",
    "literals": '{{ true }} {{ "esc\\ttab\\u00e9\\x41" }} {{ `raw\\t{{x}}` }} {{ print nil }}',
    "trim": "a {{- 3 -}} b|a {{-3}} b|a   {{- /* c */ -}}   b|{{/* plain */}}x|x {{ 1 -}}\n\n  y",
    "multiline": "{{- /* leading comment */ -}}\nLine1\n{{- range $k, $v := $labels }}\n  {{ $k }}: {{ $v -}}\n{{ end }}\ndone\n",
    "nested": '{{ if $labels.job }}{{ if eq $labels.job "node" }}{{ range $k, $v := $externalLabels }}{{ $k }}{{ end }}{{ end }}{{ end }}',
    "errcmp": "{{ if gt $value 80 }}x{{ end }}",
    "errtype": "{{ toUpper $value }}",
    "errfield": "{{ .Nope }}",
    "errindex": "{{ index $value 1 }}",
})

CASES["query"] = ("5", {}, {
    "sorted": '{{ with query "qm" }}{{ range sortByLabel "inst" . }}{{ .Labels.inst }}={{ .Value }};{{ end }}{{ end }}',
    "first": '{{ query "qm{inst=\\"b\\"}" | first | value }} {{ with query "qm{inst=\\"b\\"}" }}{{ . | first | label "inst" }}{{ end }}',
    "chain": '{{ (query "qm{inst=\\"a\\"}" | first).Value | humanize }} {{ len (query "qm") }} [{{ query "qm{inst=\\"a\\"}" | first | strvalue }}]',
    "range": '{{ range $i, $s := sortByLabel "inst" (query "qm") }}{{ $i }}:{{ label "inst" $s }}:{{ $s.Labels.__name__ }} {{ end }}',
    "labels": '{{ range query "qm{inst=\\"a\\"}" }}{{ .Labels }}{{ end }}',
    "printsample": '{{ query "qm{inst=\\"a\\"}" | first }}',
    "empty": '{{ query "nonexistent" | first | value }}',
    "emptyrange": '{{ range query "nonexistent" }}x{{ else }}no data{{ end }}',
})

QUERY_SERIES = [('qm{inst="b", val="7.5"}', "7.5"), ('qm{inst="a", val="5"}', "5"), ('qm{inst="c", val="1e6"}', "1e6")]


def series_of(name, val, extra):
    labels = {"case": name, "val": val, **extra}
    body = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return "tv{" + body + "}", labels


def build():
    rules = []
    tests = []
    input_series = []
    for name, (val, extra, ann) in CASES.items():
        s, labels = series_of(name, val, extra)
        alert = "T_" + name
        rules.append({"alert": alert, "expr": f'tv{{case="{name}"}} * 1', "annotations": dict(ann)})
        values = {"+Inf": "Inf"}.get(val, val)
        input_series.append({"series": s, "values": values})
        tests.append({"eval_time": "0m", "alertname": alert,
                      "exp_alerts": [{"exp_labels": dict(labels), "exp_annotations": {}}]})
    for s, v in QUERY_SERIES:
        input_series.append({"series": s, "values": v})
    rules_doc = {"groups": [{"name": "templates", "rules": rules}]}
    test_doc = {"rule_files": ["templates_rules.yml"], "evaluation_interval": "1m",
                "tests": [{"interval": "1m", "external_labels": {"region": "eu-1", "env": "prod"},
                           "external_url": "https://prom.example.com/prometheus",
                           "input_series": input_series, "alert_rule_test": tests}]}
    return rules_doc, test_doc


def go_unquote(s):
    out, i = [], 0
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}
    raw = bytearray()
    while i < len(s):
        c = s[i]
        if c != "\\":
            raw += c.encode()
            i += 1
            continue
        n = s[i + 1]
        if n in simple:
            raw += simple[n].encode(); i += 2
        elif n == "x":
            raw.append(int(s[i + 2:i + 4], 16)); i += 4
        elif n == "u":
            raw += chr(int(s[i + 2:i + 6], 16)).encode(); i += 6
        elif n == "U":
            raw += chr(int(s[i + 2:i + 10], 16)).encode(); i += 10
        else:
            raise ValueError(s)
    return raw.decode("utf-8", "surrogateescape")


def parse_labels(text):
    # {a="x", b="y"} as printed by Prometheus's labels.Labels.String().
    pairs = re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', text)
    return {k: go_unquote(v) for k, v in pairs}


class Dumper(yaml.SafeDumper):
    pass


def str_presenter(dumper, data):
    style = "|" if "\n" in data and not data.endswith(" ") and "\t" not in data and "\r" not in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


Dumper.add_representer(str, str_presenter)


def main():
    rules_doc, test_doc = build()
    with open("templates_rules.yml", "w") as f:
        yaml.dump(rules_doc, f, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1000)
    if "--update" in sys.argv:
        with open("templates_test.yml", "w") as f:
            yaml.dump(test_doc, f, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1000)
        out = subprocess.run(["promtool", "test", "rules", "templates_test.yml"], capture_output=True, text=True)
        got = {}
        for m in re.finditer(r'Labels:(\{.*?\})\n\s*Annotations:(\{.*?\})\n', out.stdout + out.stderr):
            labels = parse_labels(m.group(1))
            got[labels["alertname"]] = parse_labels(m.group(2))
        for t in test_doc["tests"][0]["alert_rule_test"]:
            t["exp_alerts"][0]["exp_annotations"] = got.get(t["alertname"], {"missing": "promtool gave nothing"})
        with open("templates_test.yml", "w") as f:
            f.write("# Generated by corpus.py --update from promtool 2.42's own output; verify with\n")
            f.write("# check_with_promtool.sh. Do not edit the expectations by hand.\n")
            yaml.dump(test_doc, f, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1000)
        print(f"{len(got)} alerts captured")


if __name__ == "__main__":
    main()

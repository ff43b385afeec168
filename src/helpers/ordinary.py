"""Ordinary (non-security) Python functions for the pretraining corpus of the tiny preset.

`ordinary_function(rng)` draws one short function (signature, one-line docstring, a body of
one to seven lines, imports inside the body) from many everyday programming tasks: strings,
lists, dicts, files, math, dates, JSON, CSV, sorting, counting, parsing. Function and argument
names vary with the draw, and some bodies carry the kind of comment real code has. None of the
functions touches a construct of the vulnerability families (no eval/exec, no pickle/yaml,
no md5/sha1, no shell, no literal credentials, no random module, no HTTP/TLS, no joining a
caller's file name onto a base folder).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    names: tuple[str, ...]             # function names to choose from
    args: tuple[tuple[str, ...], ...]  # argument-name tuples to choose from
    doc: str
    body: tuple[str, ...]              # lines, {0}, {1}, ... stand for the arguments


def _t(names: str, args: str, doc: str, *body: str) -> Template:
    """`names`: space-separated; `args`: alternatives separated by '|', names by ','."""
    return Template(tuple(names.split()), tuple(tuple(a.strip() for a in alt.split(","))
                                                for alt in args.split("|")), doc, body)


TEMPLATES = [
    # strings
    _t("count_words word_count num_words", "text|s|sentence", "Count the words in a string.",
       "return len({0}.split())"),
    _t("reverse_string reversed_text flip", "text|s|value", "Return the string reversed.",
       "return {0}[::-1]"),
    _t("is_palindrome check_palindrome", "text|word|s", "Tell whether a string reads the same backwards.",
       "cleaned = \"\".join(ch.lower() for ch in {0} if ch.isalnum())", "return cleaned == cleaned[::-1]"),
    _t("capitalize_words title_case", "text|line", "Capitalise the first letter of every word.",
       "return \" \".join(w[:1].upper() + w[1:] for w in {0}.split())"),
    _t("count_vowels vowel_count", "text|s|word", "Count the vowels in a string.",
       "return sum(1 for ch in {0}.lower() if ch in \"aeiou\")"),
    _t("slugify make_slug to_slug", "title|text|name", "Turn a title into a lowercase URL slug.",
       "import re", "slug = re.sub(r\"[^a-z0-9]+\", \"-\", {0}.lower())", "return slug.strip(\"-\")"),
    _t("truncate shorten clip_text", "text, limit|s, n|message, max_len",
       "Cut a string to a maximum length, adding an ellipsis.",
       "if len({0}) <= {1}:", "    return {0}", "return {0}[: {1} - 3] + \"...\""),
    _t("char_frequency letter_counts", "text|s", "Count how often each character occurs.",
       "from collections import Counter", "return dict(Counter({0}))"),
    _t("remove_punctuation strip_punctuation", "text|s|line", "Drop punctuation characters from a string.",
       "import string", "return {0}.translate(str.maketrans(\"\", \"\", string.punctuation))"),
    _t("camel_to_snake to_snake_case", "name|identifier", "Convert a camelCase name to snake_case.",
       "import re", "return re.sub(r\"(?<!^)(?=[A-Z])\", \"_\", {0}).lower()"),
    _t("snake_to_camel to_camel_case", "name|identifier", "Convert a snake_case name to camelCase.",
       "first, *rest = {0}.split(\"_\")", "return first + \"\".join(p.title() for p in rest)"),
    _t("is_anagram are_anagrams", "a, b|first, second|word1, word2", "Tell whether two words are anagrams.",
       "return sorted({0}.lower()) == sorted({1}.lower())"),
    _t("longest_word find_longest_word", "text|sentence", "Return the longest word of a sentence.",
       "words = {0}.split()", "# TODO: handle empty input", "return max(words, key=len)"),
    _t("pad_left zero_pad", "value, width|n, size", "Left-pad a number with zeros to a given width.",
       "return str({0}).zfill({1})"),
    _t("count_substring occurrences", "text, part|haystack, needle", "Count non-overlapping occurrences of a substring.",
       "return {0}.count({1})"),
    _t("initials get_initials", "full_name|name", "Return the initials of a full name.",
       "return \"\".join(part[0].upper() for part in {0}.split() if part)"),
    _t("wrap_text wrap_lines", "text, width|paragraph, columns", "Wrap a paragraph to a fixed line width.",
       "import textwrap", "return textwrap.fill({0}, width={1})"),
    _t("normalize_whitespace squeeze_spaces", "text|s", "Collapse runs of whitespace into single spaces.",
       "return \" \".join({0}.split())"),
    # lists
    _t("flatten flatten_list", "nested|lists|rows", "Flatten a list of lists one level.",
       "return [item for sub in {0} for item in sub]"),
    _t("chunk chunked split_into_chunks", "items, size|values, n|seq, k", "Split a list into chunks of a given size.",
       "return [{0}[i:i + {1}] for i in range(0, len({0}), {1})]"),
    _t("unique_in_order dedupe", "items|values|seq", "Remove duplicates while keeping the first occurrence order.",
       "seen = set()", "out = []", "for item in {0}:", "    if item not in seen:",
       "        seen.add(item)", "        out.append(item)", "return out"),
    _t("second_largest runner_up", "numbers|values", "Return the second largest distinct number.",
       "distinct = sorted(set({0}))", "# NOTE: assumes at least two distinct values", "return distinct[-2]"),
    _t("rotate_list rotate", "items, k|values, steps", "Rotate a list to the left by k positions.",
       "if not {0}:", "    return []", "k = {1} % len({0})", "return {0}[k:] + {0}[:k]"),
    _t("pairwise_sums adjacent_sums", "numbers|values", "Sum each pair of neighbouring numbers.",
       "return [a + b for a, b in zip({0}, {0}[1:])]"),
    _t("running_total cumulative_sum", "numbers|values|amounts", "Return the running totals of a list.",
       "from itertools import accumulate", "return list(accumulate({0}))"),
    _t("find_index index_of", "items, target|values, wanted", "Return the index of a value, or -1 when absent.",
       "try:", "    return {0}.index({1})", "except ValueError:", "    return -1"),
    _t("interleave merge_alternating", "a, b|first, second", "Interleave two lists element by element.",
       "out = []", "for x, y in zip({0}, {1}):", "    out.extend([x, y])", "return out"),
    _t("split_evens_odds partition_parity", "numbers|values", "Split numbers into evens and odds.",
       "evens = [n for n in {0} if n % 2 == 0]", "odds = [n for n in {0} if n % 2]", "return evens, odds"),
    _t("moving_average rolling_mean", "values, window|series, n", "Compute the moving average over a window.",
       "return [sum({0}[i:i + {1}]) / {1} for i in range(len({0}) - {1} + 1)]"),
    _t("top_n largest_n", "values, n|scores, k", "Return the n largest values, biggest first.",
       "import heapq", "return heapq.nlargest({1}, {0})"),
    _t("transpose transpose_matrix", "matrix|rows|grid", "Transpose a matrix given as a list of rows.",
       "return [list(col) for col in zip(*{0})]"),
    # dicts
    _t("invert_dict swap_keys_values", "mapping|d|table", "Swap the keys and values of a dictionary.",
       "return {{v: k for k, v in {0}.items()}}"),
    _t("merge_dicts combine", "a, b|base, extra|defaults, overrides", "Merge two dictionaries, the second winning.",
       "merged = dict({0})", "merged.update({1})", "return merged"),
    _t("group_by_first_letter group_words", "words|names", "Group words by their first letter.",
       "from collections import defaultdict", "groups = defaultdict(list)", "for w in {0}:",
       "    groups[w[:1].lower()].append(w)", "return dict(groups)"),
    _t("count_items tally", "items|values|votes", "Count how many times each item occurs.",
       "counts = {{}}", "for item in {0}:", "    counts[item] = counts.get(item, 0) + 1", "return counts"),
    _t("filter_dict pick_keys", "d, keys|mapping, wanted", "Keep only the given keys of a dictionary.",
       "return {{k: {0}[k] for k in {1} if k in {0}}}"),
    _t("sort_dict_by_value sorted_by_value", "d|scores|mapping", "Return the items sorted by value, largest first.",
       "return sorted({0}.items(), key=lambda kv: kv[1], reverse=True)"),
    _t("deep_get get_path", "data, path|obj, keys", "Follow a list of keys into nested dictionaries.",
       "for key in {1}:", "    if not isinstance({0}, dict) or key not in {0}:", "        return None",
       "    {0} = {0}[key]", "return {0}"),
    _t("most_common_word frequent_word", "text|document", "Return the most frequent word in a text.",
       "from collections import Counter", "words = {0}.lower().split()", "# FIXME: ties are broken arbitrarily",
       "return Counter(words).most_common(1)[0][0]"),
    # math
    _t("factorial fact", "n|k", "Return n factorial.", "result = 1", "for i in range(2, {0} + 1):",
       "    result *= i", "return result"),
    _t("fibonacci fib", "n|count", "Return the first n Fibonacci numbers.", "seq = [0, 1]",
       "while len(seq) < {0}:", "    seq.append(seq[-1] + seq[-2])", "return seq[:{0}]"),
    _t("is_prime check_prime", "n|number", "Tell whether a number is prime.", "if {0} < 2:",
       "    return False", "return all({0} % d for d in range(2, int({0} ** 0.5) + 1))"),
    _t("gcd greatest_common_divisor", "a, b|x, y", "Return the greatest common divisor of two integers.",
       "while {1}:", "    {0}, {1} = {1}, {0} % {1}", "return abs({0})"),
    _t("mean average", "numbers|values|samples", "Return the arithmetic mean of a list.",
       "# TODO: handle empty input", "return sum({0}) / len({0})"),
    _t("median middle_value", "numbers|values", "Return the median of a list of numbers.",
       "import statistics", "return statistics.median({0})"),
    _t("clamp bound", "value, low, high|x, lo, hi", "Limit a value to a closed range.",
       "return max({1}, min({2}, {0}))"),
    _t("celsius_from_fahrenheit f_to_c", "fahrenheit|temp_f", "Convert Fahrenheit to Celsius.",
       "return ({0} - 32) * 5 / 9"),
    _t("distance euclidean_distance", "p, q|a, b", "Return the Euclidean distance between two points.",
       "import math", "return math.dist({0}, {1})"),
    _t("digit_sum sum_of_digits", "n|number", "Add up the decimal digits of an integer.",
       "return sum(int(d) for d in str(abs({0})))"),
    _t("percent_change pct_change", "old, new|before, after", "Return the percentage change between two values.",
       "if {0} == 0:", "    raise ValueError(\"old value is zero\")", "return ({1} - {0}) / {0} * 100"),
    _t("std_dev standard_deviation", "values|samples", "Return the sample standard deviation.",
       "import statistics", "# NOTE: needs at least two values", "return statistics.stdev({0})"),
    _t("round_to_step snap", "value, step|x, increment", "Round a value to the nearest multiple of a step.",
       "return round({0} / {1}) * {1}"),
    # dates
    _t("days_between day_difference", "start, end|d1, d2", "Return the number of days between two dates.",
       "return abs(({1} - {0}).days)"),
    _t("parse_iso_date to_date", "text|value|stamp", "Parse an ISO date string such as '2024-05-01'.",
       "from datetime import date", "return date.fromisoformat({0})"),
    _t("is_weekend on_weekend", "day|d", "Tell whether a date falls on a weekend.",
       "return {0}.weekday() >= 5"),
    _t("add_days shift_date", "day, n|d, days", "Return the date n days later.",
       "from datetime import timedelta", "return {0} + timedelta(days={1})"),
    _t("format_timestamp human_time", "ts|seconds", "Format a Unix timestamp as 'YYYY-MM-DD HH:MM'.",
       "from datetime import datetime, timezone", "moment = datetime.fromtimestamp({0}, tz=timezone.utc)",
       "return moment.strftime(\"%Y-%m-%d %H:%M\")"),
    _t("age_in_years compute_age", "birthday, today|born, on", "Return a person's age in whole years on a date.",
       "years = {1}.year - {0}.year", "if ({1}.month, {1}.day) < ({0}.month, {0}.day):", "    years -= 1",
       "return years"),
    _t("month_name name_of_month", "month|m", "Return the English name of a month number.",
       "import calendar", "return calendar.month_name[{0}]"),
    # files, JSON, CSV
    _t("read_lines load_lines", "path|filename", "Return the lines of a text file without newlines.",
       "with open({0}) as fh:", "    return [line.rstrip(\"\\n\") for line in fh]"),
    _t("write_lines save_lines", "path, lines|filename, rows", "Write a list of strings to a file, one per line.",
       "with open({0}, \"w\") as fh:", "    fh.write(\"\\n\".join({1}) + \"\\n\")"),
    _t("count_file_lines line_count", "path|filename", "Count the lines of a text file.",
       "with open({0}) as fh:", "    return sum(1 for _ in fh)"),
    _t("load_json read_json", "path|filename", "Load a JSON document from a file.",
       "import json", "with open({0}) as fh:", "    return json.load(fh)"),
    _t("save_json write_json", "data, path|obj, filename", "Save data to a file as indented JSON.",
       "import json", "with open({1}, \"w\") as fh:", "    json.dump({0}, fh, indent=2)"),
    _t("read_csv_rows load_csv", "path|filename", "Read a CSV file into a list of dicts.",
       "import csv", "with open({0}, newline=\"\") as fh:", "    return list(csv.DictReader(fh))"),
    _t("write_csv save_csv", "path, rows, fields|filename, records, columns", "Write dict rows to a CSV file.",
       "import csv", "with open({0}, \"w\", newline=\"\") as fh:",
       "    writer = csv.DictWriter(fh, fieldnames={2})", "    writer.writeheader()",
       "    writer.writerows({1})"),
    _t("column_sum sum_column", "rows, column|records, field", "Sum one numeric column of CSV-like rows.",
       "return sum(float(row[{1}]) for row in {0})"),
    _t("to_json_string dumps_sorted", "data|obj", "Serialise data to a compact JSON string with sorted keys.",
       "import json", "return json.dumps({0}, sort_keys=True, separators=(\",\", \":\"))"),
    _t("file_extension get_extension", "filename|name", "Return the lowercase extension of a file name.",
       "from pathlib import PurePath", "return PurePath({0}).suffix.lower()"),
    _t("append_line log_line", "path, line|filename, message", "Append one line to a text file.",
       "# WARNING: deprecated, use the logging module instead", "with open({0}, \"a\") as fh:",
       "    fh.write({1} + \"\\n\")"),
    # parsing
    _t("parse_key_values parse_pairs", "text|line", "Parse 'a=1;b=2' into a dictionary of strings.",
       "pairs = (item.split(\"=\", 1) for item in {0}.split(\";\") if \"=\" in item)",
       "return {{k.strip(): v.strip() for k, v in pairs}}"),
    _t("extract_numbers find_numbers", "text|s", "Return all integers that appear in a string.",
       "import re", "return [int(n) for n in re.findall(r\"-?\\d+\", {0})]"),
    _t("parse_bool to_bool", "value|text", "Interpret common yes/no strings as a boolean.",
       "return str({0}).strip().lower() in {{\"1\", \"true\", \"yes\", \"on\"}}"),
    _t("parse_version version_tuple", "version|text", "Turn a version string like '1.2.3' into a tuple of ints.",
       "# HACK: ignores pre-release tags", "return tuple(int(p) for p in {0}.split(\".\")[:3])"),
    _t("is_valid_email looks_like_email", "address|email", "Check that a string looks like an email address.",
       "import re", "return re.fullmatch(r\"[^@\\s]+@[^@\\s]+\\.[a-z]+\", {0}, re.I) is not None"),
    _t("parse_duration duration_seconds", "text|spec", "Convert a duration such as '1h30m' to seconds.",
       "import re", "units = {{\"h\": 3600, \"m\": 60, \"s\": 1}}",
       "return sum(int(n) * units[u] for n, u in re.findall(r\"(\\d+)([hms])\", {0}))"),
    _t("split_name first_last", "full_name|name", "Split a full name into first name and the rest.",
       "first, _, rest = {0}.strip().partition(\" \")", "return first, rest"),
    _t("query_params parse_query", "query|qs", "Parse a URL query string into a dict of lists.",
       "from urllib.parse import parse_qs", "return parse_qs({0})"),
    # sorting and searching
    _t("binary_search bisect_index", "items, target|values, wanted", "Find a value in a sorted list, -1 if missing.",
       "import bisect", "i = bisect.bisect_left({0}, {1})",
       "return i if i < len({0}) and {0}[i] == {1} else -1"),
    _t("sort_by_length order_by_length", "words|strings", "Sort strings by length, then alphabetically.",
       "return sorted({0}, key=lambda w: (len(w), w))"),
    _t("sort_records sort_by_field", "records, field|rows, column", "Sort a list of dicts by one field.",
       "# NOTE: stable, so earlier order breaks ties", "return sorted({0}, key=lambda r: r[{1}])"),
    _t("merge_sorted merge_two_sorted", "a, b|left, right", "Merge two sorted lists into one sorted list.",
       "import heapq", "return list(heapq.merge({0}, {1}))"),
    _t("bubble_sort simple_sort", "values|items", "Sort a list with bubble sort and return it.",
       "out = list({0})", "for i in range(len(out)):", "    for j in range(len(out) - 1 - i):",
       "        if out[j] > out[j + 1]:", "            out[j], out[j + 1] = out[j + 1], out[j]", "return out"),
]

_EXTRA_COMMENTS = ["# TODO: handle empty input", "# NOTE: returns a new object", "# FIXME: slow for big inputs",
                   "# HACK: good enough for now", "# WARNING: deprecated, use the helper in utils instead",
                   "# NOTE: keep this pure", "# TODO: add type hints"]


def ordinary_function(rng: random.Random) -> str:
    """One short ordinary function, drawn with `rng` (deterministic in its state)."""
    t = rng.choice(TEMPLATES)
    name = rng.choice(t.names)
    args = rng.choice(t.args)
    body = [line.format(*args) for line in t.body]
    if rng.random() < 0.15:   # an extra comment after the imports
        at = 0
        while at < len(body) and body[at].startswith(("import ", "from ")):
            at += 1
        body.insert(at, rng.choice(_EXTRA_COMMENTS))
        if len(body) > 7:
            del body[at]
    source = f"def {name}({', '.join(args)}):\n    \"\"\"{t.doc}\"\"\"\n"
    return source + "".join(f"    {line}\n" for line in body)

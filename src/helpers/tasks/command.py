"""Command injection (CWE-78): a command line pasted together for a shell vs an argument list.

A task's `argv` is the command as a list, with `{name}` where an argument goes; `op` says
whether the caller wants the exit status ("run") or the printed text ("output").
"""

from __future__ import annotations

import re

from helpers.tasks._core import Spec, Variant, spec, variant, comment_pair

FAMILY = "command_injection"

SPECS = [
    spec("ping_host", "host", "Ping a host once and report whether it answered.",
         argv="ping -c 1 {host}", op="run"),
    spec("compress_folder", "folder, archive", "Pack a folder into a gzipped tarball.",
         argv="tar -czf {archive} {folder}", op="run"),
    spec("count_lines", "filename", "Return the line count of a file using wc.",
         argv="wc -l {filename}", op="output"),
    spec("git_log", "repo_dir, branch", "Show the one-line commit history of a branch.",
         argv="git -C {repo_dir} log --oneline {branch}", op="output"),
    spec("resize_image", "src, dest, geometry", "Scale a picture with ImageMagick and save the result.",
         argv="convert {src} -resize {geometry} {dest}", op="run"),
    spec("lookup_dns", "domain", "Resolve a domain name with nslookup and return what it prints.",
         argv="nslookup {domain}", op="output"),
    spec("disk_usage", "path", "Tell how much disk space a directory takes, human readable.",
         argv="du -sh {path}", op="output"),
    spec("kill_process", "pid", "Terminate the process with the given id.",
         argv="kill -9 {pid}", op="run"),
    spec("create_system_user", "username", "Add an operating-system account with a home folder.",
         argv="useradd -m {username}", op="run"),
    spec("grep_log", "pattern, logfile", "Return the lines of a log that match a pattern, ignoring case.",
         argv="grep -i {pattern} {logfile}", op="output"),
    spec("download_with_curl", "url, target", "Fetch a URL to a local file with curl.",
         argv="curl -sS -o {target} {url}", op="run"),
    spec("checkout_branch", "repo_dir, branch", "Switch a working copy to another branch.",
         argv="git -C {repo_dir} checkout {branch}", op="run"),
    spec("play_sound", "sound_file", "Play an audio clip through the speakers.",
         argv="aplay {sound_file}", op="run"),
    spec("describe_file_type", "path", "Ask the file utility what kind of data a file holds.",
         argv="file --brief {path}", op="output"),
    spec("extract_zip", "archive, dest", "Unpack a zip archive into a folder.",
         argv="unzip -o {archive} -d {dest}", op="run"),
    spec("whois_record", "domain", "Return the registration record of a domain.",
         argv="whois {domain}", op="output"),
    spec("video_thumbnail", "video, image", "Grab the first frame of a video as a picture.",
         argv="ffmpeg -y -i {video} -frames:v 1 {image}", op="run"),
    spec("list_directory", "folder", "Give a long listing of a folder, hidden entries included.",
         argv="ls -la {folder}", op="output"),
    spec("print_document", "printer, document", "Send a document to a named printer.",
         argv="lp -d {printer} {document}", op="run"),
    spec("sha256_of_file", "filename", "Return the sha256sum line for a file.",
         argv="sha256sum {filename}", op="output"),
    spec("restart_service", "service", "Restart a systemd unit.",
         argv="systemctl restart {service}", op="run"),
    spec("trace_route", "host", "Show the network hops on the way to a host.",
         argv="traceroute {host}", op="output"),
    spec("markdown_to_html", "source, html", "Convert a Markdown file to HTML with pandoc.",
         argv="pandoc {source} -o {html}", op="run"),
    spec("copy_to_server", "local_path, remote", "Copy a local file to a remote machine over scp.",
         argv="scp {local_path} {remote}", op="run"),
    spec("package_info", "package", "Return what pip knows about an installed package.",
         argv="pip show {package}", op="output"),
    spec("desktop_notify", "message", "Pop up a desktop notification with a message.",
         argv="notify-send {message}", op="run"),
    spec("http_headers", "url", "Return the response headers a web server sends for a URL.",
         argv="curl -sI {url}", op="output"),
]

VARIANTS: list[Variant] = []
COMMENTS = ["NOTE: needs the tool on PATH", "build the command", "TODO: add a timeout",
            "run it and wait"]

_ARG = re.compile(r"\{(\w+)\}")


def _names(s: Spec) -> list[str]:
    return _ARG.findall(s.p["argv"])


def _line(s: Spec, style: str) -> str:
    """The command line as one string expression, arguments pasted in."""
    argv, names = s.p["argv"], _names(s)
    if style == "fstring":
        return f'f"{argv}"'
    if style == "percent":
        args = names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"
        return '"' + _ARG.sub("%s", argv) + '" % ' + args
    if style == "format":
        return '"' + _ARG.sub("{}", argv) + '".format(' + ", ".join(names) + ")"
    parts, pos = [], 0
    for m in _ARG.finditer(argv):
        if argv[pos:m.start()]:
            parts.append('"' + argv[pos:m.start()] + '"')
        parts.append(m.group(1))
        pos = m.end()
    if argv[pos:]:
        parts.append('"' + argv[pos:] + '"')
    return " + ".join(parts)


def _quoted(s: Spec) -> str:
    """The command line as an f-string with every argument passed through shlex.quote."""
    return 'f"' + _ARG.sub(r"{shlex.quote(\1)}", s.p["argv"]) + '"'


def _list(s: Spec) -> str:
    items = [m.group(1) if (m := _ARG.fullmatch(w)) else f'"{w}"' for w in s.p["argv"].split()]
    return "[" + ", ".join(items) + "]"


@variant(VARIANTS)
def _os_system(s: Spec):
    """os.system / os.popen with an f-string; the fix quotes every argument with shlex."""
    fn, tail = ("os.system", "") if s.p["op"] == "run" else ("os.popen", ".read()")
    return (["import os", f"return {fn}({_line(s, 'fstring')}){tail}"],
            ["import os", "import shlex", f"return {fn}({_quoted(s)}){tail}"])


@variant(VARIANTS)
def _run_shell(s: Spec):
    def body(cmd: str, shell: str) -> list[str]:
        if s.p["op"] == "run":
            return ["import subprocess", f"result = subprocess.run({cmd}{shell})",
                    "return result.returncode == 0"]
        return ["import subprocess",
                f"result = subprocess.run({cmd}{shell}, capture_output=True, text=True)",
                "return result.stdout"]
    return body(_line(s, "concat"), ", shell=True"), body(_list(s), "")


@variant(VARIANTS)
def _check_output_shell(s: Spec):
    fn, kw = ("check_call", "") if s.p["op"] == "run" else ("check_output", ", text=True")
    vul = ["import subprocess", f"return subprocess.{fn}({_line(s, 'percent')}, shell=True{kw})"]
    sec = ["import subprocess", f"return subprocess.{fn}({_list(s)}{kw})"]
    return comment_pair(s, vul, sec, COMMENTS, "co", 1, 1)


@variant(VARIANTS)
def _alias_command_variable(s: Spec):
    def body(cmd: str, shell: str) -> list[str]:
        if s.p["op"] == "run":
            return ["import subprocess as sp", f"cmd = {cmd}", f"return sp.call(cmd{shell})"]
        return ["import subprocess as sp", f"cmd = {cmd}", f"out = sp.check_output(cmd{shell})",
                "return out.decode()"]
    vul, sec = body(_line(s, "format"), ", shell=True"), body(_list(s), "")
    return comment_pair(s, vul, sec, COMMENTS, "al", 1, 1, every=1)


@variant(VARIANTS)
def _popen(s: Spec):
    def body(cmd: str, shell: str) -> list[str]:
        if s.p["op"] == "run":
            return ["from subprocess import Popen", f"proc = Popen({cmd}{shell})", "return proc.wait()"]
        return ["from subprocess import PIPE, Popen",
                f"proc = Popen({cmd}{shell}, stdout=PIPE, text=True)",
                "out, _ = proc.communicate()", "return out"]
    return body(_line(s, "fstring"), ", shell=True"), body(_list(s), "")


@variant(VARIANTS)
def _getoutput(s: Spec):
    """subprocess.getoutput / getstatusoutput always use a shell; the fix passes a list."""
    if s.p["op"] == "run":
        return (["import subprocess", f"status, _ = subprocess.getstatusoutput({_line(s, 'fstring')})",
                 "return status"],
                ["import subprocess", f"status = subprocess.call({_list(s)})", "return status"])
    return (["import subprocess", f"return subprocess.getoutput({_line(s, 'concat')})"],
            ["import subprocess", f"proc = subprocess.run({_list(s)}, capture_output=True, text=True)",
             "return proc.stdout"])

#!/usr/bin/env python3
"""Type into a real interactive bash on a pseudo-terminal and read back what
readline made of the line: bash completion tested as a person uses it (bash
splits the words at COMP_WORDBREAKS, '=' and ':' among them, which a test
that fills COMP_WORDS by hand never does).

  complete-pty.py [-t SECONDS] [-b BASH] [-s SETUP] TEXT

Starts BASH (default: bash) as 'bash --norc --noprofile -i' on a pty (200
columns, no inputrc, no history file, TERM=dumb), runs SETUP (shell
commands, e.g. '. FILE' for a completion file), types TEXT (a tab in it is
the TAB key; two tabs in a row list the completions), then reads back
READLINE_LINE through a 'bind -x' key. Prints

  line: THE COMMAND LINE
  list: THE WORDS READLINE LISTED, sorted (none: an empty list)

Each step times out after SECONDS (default 5). Exit 0; 2 on an error (bash
missing or dead, SETUP failed, a timeout), with a message on stderr. Python 3
standard library only.
"""
import argparse
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import tempfile
import termios
import time

PROMPT = "@P@ "
READY = "@@READY@@"
LINE_RE = re.compile(rb"@@LINE\[(.*?)\]@@\r?\n", re.S)
ESC_RE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])")

# Readline as the test needs it, whatever the machine's /etc/inputrc says:
# no bell, listings never paged nor asked about, and C-x C-l prints the line.
RC = r"""bind 'set bell-style none'
bind 'set completion-query-items 0'
bind 'set page-completions off'
bind 'set show-all-if-ambiguous off'
bind 'set colored-stats off'
bind -x '"\C-x\C-l": printf "\n@@LINE[%s]@@\n" "$READLINE_LINE"'
"""


class Error(Exception):
    pass


def fail(msg):
    print("complete-pty: " + msg, file=sys.stderr)
    sys.exit(2)


class Pty:
    def __init__(self, bash, timeout):
        self.timeout = timeout
        self.out = b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/"),
            "TERM": "dumb",
            "LC_ALL": "C",
            "PS1": PROMPT,
            "PS2": "",
            "INPUTRC": "/dev/null",
            "HISTFILE": "/dev/null",
        }
        pid, fd = pty.fork()
        if pid == 0:
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
                os.execvpe(bash, [bash, "--norc", "--noprofile", "-i"], env)
            except OSError as e:
                os.write(2, ("cannot run %s: %s\n" % (bash, e.strerror)).encode())
            os._exit(127)
        self.pid, self.fd = pid, fd

    def expect(self, what, start, pattern):
        """Read until PATTERN (bytes regex) matches the output from START."""
        deadline = time.monotonic() + self.timeout
        while True:
            m = pattern.search(self.out, start)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise Error("timed out after %gs waiting for %s; the terminal showed:\n%s"
                            % (self.timeout, what, self.shown(start)))
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:	# EIO: bash is gone
                data = b""
            if not data:
                raise Error("bash exited while waiting for %s; the terminal showed:\n%s"
                            % (what, self.shown(start)))
            self.out += data

    def shown(self, start=0):
        return clean(self.out[start:].decode("utf-8", "replace"))

    def send(self, text):
        os.write(self.fd, text.encode())

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def clean(s):
    """The text of S without escape sequences, bells and carriage returns."""
    s = ESC_RE.sub("", s).replace("\x07", "")
    return "\n".join(l.rstrip("\r").split("\r")[-1] for l in s.split("\n"))


def run(args):
    with tempfile.TemporaryDirectory() as tmp:
        rc = os.path.join(tmp, "rc")
        with open(rc, "w") as f:
            f.write(RC + args.setup + "\n")
        sh = Pty(args.bash, args.timeout)
        try:
            # The shell is ready when the marker (typed split in two, so
            # that the echo of the command is not it) is followed by a prompt.
            sh.send(". '%s' && printf '%%s\\n' '@@READY''@@'\r" % rc)
            m = sh.expect("the setup to finish", 0,
                          re.compile(re.escape((READY + "\r\n" + PROMPT).encode())))
            start = m.end() - len(PROMPT)	# at the prompt of the line typed
            sh.send(args.text + "\x18\x0c")
            m = sh.expect("the command line (C-x C-l)", start, LINE_RE)
            line = m.group(1).decode("utf-8", "replace")
            # Between the typing and the line: the prompt lines (which carry
            # the prompt) and the listing readline printed (which does not).
            listed = []
            for l in clean(sh.out[start:m.start()].decode("utf-8", "replace")).split("\n"):
                if PROMPT.strip() not in l:
                    listed += l.split()
        finally:
            sh.close()
    print("line: " + line)
    print("list: " + " ".join(sorted(listed)))


def main():
    p = argparse.ArgumentParser(description="type into an interactive bash on a pty")
    p.add_argument("-t", "--timeout", type=float, default=5)
    p.add_argument("-b", "--bash", default="bash")
    p.add_argument("-s", "--setup", default=":")
    p.add_argument("text")
    args = p.parse_args()
    try:
        run(args)
    except Error as e:
        fail(str(e))


if __name__ == "__main__":
    main()

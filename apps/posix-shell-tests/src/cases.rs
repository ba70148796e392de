//! The scripts and what POSIX says they do: first the acceptance lines of the processes issue,
//! then the language piece by piece, then the files issue's shell lines.

/// The output a case expects.
pub enum Expected {
    /// Exactly this text.
    Exactly(&'static str),
    /// The shell's own pid and a newline (`echo $$`).
    Pid,
    /// Text containing this (the rest depends on what `/bin` holds).
    Containing(&'static str),
}

/// One script.
pub struct Case {
    /// The check's name.
    pub name: &'static str,
    /// The behaviours of the shell it proves (`utility_sh:…`).
    pub covers: &'static [&'static str],
    /// The script given to `sh -c`.
    pub script: &'static str,
    /// `$1…`.
    pub arguments: &'static [&'static str],
    /// The exit status expected.
    pub status: i32,
    /// The output expected.
    pub output: Expected,
}

const fn case(
    name: &'static str,
    covers: &'static [&'static str],
    script: &'static str,
    status: i32,
    output: &'static str,
) -> Case {
    Case {
        name,
        covers,
        script,
        arguments: &[],
        status,
        output: Expected::Exactly(output),
    }
}

/// Every case, in order.
pub const ALL: &[Case] = &[
    // The processes issue's acceptance lines.
    case(
        "exit-sets-the-status",
        &["utility_sh:exit"],
        "exit 7",
        7,
        "",
    ),
    case(
        "status-of-false-in-dollar-question",
        &["utility_sh:special-parameters"],
        "false; echo $?",
        0,
        "1\n",
    ),
    case(
        "kill-9-of-itself-is-137",
        &["utility_sh:status-of-signalled"],
        "kill -9 $$",
        137,
        "",
    ),
    case(
        "background-sleep-and-wait-for-dollar-bang",
        &["utility_sh:asynchronous-lists"],
        "sleep 1 & wait $!; echo waited $?",
        0,
        "waited 0\n",
    ),
    case(
        "unknown-command-is-127",
        &["utility_sh:status-127"],
        "no-such-command-here",
        127,
        "",
    ),
    case(
        "for-loop-prints-three-lines",
        &["utility_sh:for"],
        "for i in 1 2 3; do echo $i; done",
        0,
        "1\n2\n3\n",
    ),
    // Quoting and expansion.
    case(
        "quotes-and-backslashes",
        &["utility_sh:quoting"],
        r#"x='a  b'; echo 'single $x' "double $x" back\ slash "q\"uote" 'it'\''s'"#,
        0,
        "single $x double a  b back slash q\"uote it's\n",
    ),
    case(
        "unquoted-expansions-are-split-quoted-ones-not",
        &["utility_sh:field-splitting"],
        r#"x='a  b'; for w in $x; do echo "<$w>"; done; for w in "$x"; do echo "<$w>"; done"#,
        0,
        "<a>\n<b>\n<a  b>\n",
    ),
    case(
        "parameter-defaults-alternatives-lengths",
        &["utility_sh:parameter-expansion"],
        "x=1; e=; echo ${x} ${u:-def} ${e:-empty} ${e-set} ${x:+alt} ${#x} ${n:=new} $n",
        0,
        "1 def empty alt 1 new new\n",
    ),
    case(
        "parameter-prefix-and-suffix-removal",
        &["utility_sh:parameter-expansion"],
        "p=/usr/lib/x.tar.gz; echo ${p##*/} ${p%.gz} ${p%%.*} ${p#/usr/}",
        0,
        "x.tar.gz /usr/lib/x.tar /usr/lib/x lib/x.tar.gz\n",
    ),
    Case {
        name: "positional-parameters-shift-and-quoted-at",
        covers: &["utility_sh:positional-parameters"],
        script: r#"echo $# $1 "$2"; shift; echo $1; for a in "$@"; do echo "[$a]"; done; echo $0"#,
        arguments: &["p1", "two words", "p3"],
        status: 0,
        output: Expected::Exactly("3 p1 two words\ntwo words\n[two words]\n[p3]\nsh\n"),
    },
    Case {
        name: "dollar-dollar-is-the-shell-pid",
        covers: &["utility_sh:special-parameters"],
        script: "echo $$",
        arguments: &[],
        status: 0,
        output: Expected::Pid,
    },
    case(
        "dollar-bang-names-the-background-job",
        &["utility_sh:asynchronous-lists"],
        r#"sh -c 'exit 4' & p=$!; wait $p; echo $?; [ "$p" -gt 0 ] && echo pid; true & wait $!; echo $?"#,
        0,
        "4\npid\n0\n",
    ),
    case(
        "echo-n-omits-the-newline",
        &["utility_sh:echo"],
        "echo -n a; echo b",
        0,
        "ab\n",
    ),
    case(
        "comments-are-ignored",
        &["utility_sh:comments"],
        "echo a # b\n# a whole line\necho c",
        0,
        "a\nc\n",
    ),
    case(
        "arithmetic-expansion",
        &["utility_sh:arithmetic-expansion"],
        "i=0; while [ $i -lt 5 ]; do i=$((i + 1)); done; echo $i $((2 + 3 * 4)) $(( (2 + 3) * 4 )) $((i > 3 ? 10 : 20)) $((7 % 3)) $((x += 2)) $x",
        0,
        "5 14 20 10 1 2 2\n",
    ),
    case(
        "arithmetic-division-by-zero-is-an-error",
        &["utility_sh:arithmetic-expansion"],
        "echo $((1 / 0)); echo not reached",
        1,
        "",
    ),
    case(
        "deep-recursion-is-an-error-not-a-crash",
        &["utility_sh:functions"],
        "f() { if [ $1 -gt 0 ]; then f $(($1 - 1)); else echo bottom; fi; }; f 20; f 1000; echo not reached",
        2,
        "bottom\n",
    ),
    case(
        "endless-eval-and-dot-are-errors-not-crashes",
        &["utility_sh:eval"],
        "(x='eval \"$x\"'; eval \"$x\"); echo $?; echo '. /tmp/self.sh' > /tmp/self.sh; (. /tmp/self.sh); echo $?",
        0,
        "2\n2\n",
    ),
    // Variables and built-ins.
    case(
        "assignment-before-a-built-in-is-temporary",
        &["utility_sh:assignments"],
        "x=1; x=2 true; echo $x",
        0,
        "1\n",
    ),
    case(
        "export-and-unset",
        &["utility_sh:export"],
        "export A=1; echo ${A}; unset A; echo ${A-unset}",
        0,
        "1\nunset\n",
    ),
    case(
        "cd-pwd-and-cd-dash",
        &["utility_sh:cd"],
        "cd /tmp; pwd; cd /; cd -; echo $PWD $OLDPWD",
        0,
        "/tmp\n/tmp\n/tmp /\n",
    ),
    case(
        "cd-without-argument-goes-home",
        &["utility_sh:cd"],
        "HOME=/tmp; cd; pwd",
        0,
        "/tmp\n",
    ),
    case(
        "test-and-bracket",
        &["utility_sh:test"],
        r#"[ -d /tmp ] && [ -f /bin/sh ] && [ ! -e /nope ] && [ 3 -lt 10 ] && test -n x -a -z "" && echo ok; [ a = b ]; echo $?"#,
        0,
        "ok\n1\n",
    ),
    case(
        "read-splits-a-line-into-variables",
        &["utility_sh:read"],
        "echo 'a b c' > /tmp/read-input; read x y < /tmp/read-input; echo \"$y|$x\"",
        0,
        "b c|a\n",
    ),
    case(
        "eval-runs-its-arguments",
        &["utility_sh:eval"],
        "eval 'x=5; echo $x'",
        0,
        "5\n",
    ),
    case(
        "dot-runs-a-file-in-this-shell",
        &["utility_sh:dot"],
        "echo 'x=sourced; echo in' > /tmp/dot.sh; . /tmp/dot.sh; echo $x",
        0,
        "in\nsourced\n",
    ),
    case(
        "kill-l-names-a-status",
        &["utility_sh:kill"],
        "kill -l 137",
        0,
        "KILL\n",
    ),
    case(
        "kill-term-of-itself-is-143",
        &["utility_sh:status-of-signalled"],
        "kill -TERM $$",
        143,
        "",
    ),
    // Lists and compound commands.
    case(
        "and-or-and-not",
        &["utility_sh:and-or-lists"],
        "true && echo a; false && echo no; false || echo b; true || echo no; ! false && echo c; ! true; echo $?",
        0,
        "a\nb\nc\n1\n",
    ),
    case(
        "if-elif-else",
        &["utility_sh:if"],
        "for v in 1 2 3; do if [ $v = 1 ]; then echo one; elif [ $v = 2 ]; then echo two; else echo other; fi; done",
        0,
        "one\ntwo\nother\n",
    ),
    case(
        "while-and-until",
        &["utility_sh:while-until"],
        "i=x; while [ $i != xxx ]; do i=${i}x; done; echo $i; until [ $i = x ]; do i=${i%x}; done; echo $i",
        0,
        "xxx\nx\n",
    ),
    case(
        "break-and-continue",
        &["utility_sh:break-continue"],
        "for i in 1 2 3 4; do if [ $i = 2 ]; then continue; fi; if [ $i = 4 ]; then break; fi; echo $i; done",
        0,
        "1\n3\n",
    ),
    case(
        "case-patterns",
        &["utility_sh:case"],
        "for w in apple berry x.rs zz; do case $w in a*) echo A;; b*|c*) echo B;; *.rs) echo R;; esac; done",
        0,
        "A\nB\nR\n",
    ),
    case(
        "functions-arguments-and-return",
        &["utility_sh:functions"],
        r#"f() { echo "f $1 $#"; return 3; }; f a b; echo $?"#,
        0,
        "f a 2\n3\n",
    ),
    case(
        "subshell-is-a-separate-process",
        &["utility_sh:subshells"],
        "x=1; (x=2; echo $x); echo $x; (exit 3); echo $?",
        0,
        "2\n1\n3\n",
    ),
    case(
        "nested-subshells-and-pipelines-share-memory",
        &["utility_sh:nested-subshells"],
        "(echo a; (echo b | cat; (seq 1 3 | sort -r) | tail -n 1) | cat) | cat; x=$( (echo c | cat) ); echo $x",
        0,
        "a\nb\n1\nc\n",
    ),
    case(
        "group-runs-in-this-shell",
        &["utility_sh:grouping"],
        "x=1; { x=2; }; echo $x",
        0,
        "2\n",
    ),
    case(
        "set-e-exits-on-failure",
        &["utility_sh:set-e"],
        "set -e; true; false; echo not reached",
        1,
        "",
    ),
    case(
        "set-e-spares-conditions",
        &["utility_sh:set-e"],
        "set -e; if false; then :; fi; false || true; ! true; echo reached",
        0,
        "reached\n",
    ),
    case(
        "commands-before-a-syntax-error-run",
        &["utility_sh:syntax-errors"],
        "echo first\nf() { echo defined; }\nf\nif then fi\necho never",
        2,
        "first\ndefined\n",
    ),
    case(
        "syntax-error-is-status-2",
        &["utility_sh:syntax-errors"],
        "if then fi",
        2,
        "",
    ),
    // Programs.
    case(
        "not-executable-is-126",
        &["utility_sh:status-126"],
        "echo hi > /tmp/not-a-program; /tmp/not-a-program; echo $?",
        0,
        "126\n",
    ),
    case(
        "program-killed-by-a-signal-is-128-plus-it",
        &["utility_sh:status-of-signalled"],
        "sh -c 'kill -9 $$'; echo $?",
        0,
        "137\n",
    ),
    case(
        "background-program-killed-is-128-plus-it",
        &["utility_sh:status-of-signalled"],
        "sh -c 'kill -9 $$' & wait $!; echo $?",
        0,
        "137\n",
    ),
    case(
        "program-gets-its-arguments",
        &["utility_sh:-c"],
        "sh -c 'exit $#' x a b c; echo $?",
        0,
        "3\n",
    ),
    case(
        "program-gets-exported-and-prefixed-variables",
        &["utility_sh:environment"],
        "export V=7; sh -c 'exit $V'; echo $?; V=9 sh -c 'exit $V'; echo $?; unset V; sh -c 'exit ${V:-4}'; echo $?",
        0,
        "7\n9\n4\n",
    ),
    case(
        "script-file-with-arguments",
        &["utility_sh:script-file"],
        "echo 'exit $2' > /tmp/script.sh; sh /tmp/script.sh 4 5; echo $?",
        0,
        "5\n",
    ),
    // Redirections, here-documents and pathname expansion.
    case(
        "output-redirection-and-append",
        &["utility_sh:redirection-output"],
        "show() { while read -r line; do echo \"$line\"; done < \"$1\"; }\n\
         echo hello > /tmp/r1 && show /tmp/r1; echo more >> /tmp/r1; show /tmp/r1",
        0,
        "hello\nhello\nmore\n",
    ),
    case(
        "standard-error-redirection",
        &["utility_sh:redirection-output"],
        "{ echo err >&2; echo out; } 2> /tmp/r2; while read -r l; do echo $l; done < /tmp/r2",
        0,
        "out\nerr\n",
    ),
    case(
        "redirection-offset-shared-with-children",
        &["utility_sh:redirection-shared-offset"],
        "{ echo a; /bin/echo b; echo c; } > /tmp/r3; { echo d; (echo e); echo f; } > /tmp/r4; \
         cat /tmp/r3 /tmp/r4; rm /tmp/r3 /tmp/r4",
        0,
        "a\nb\nc\nd\ne\nf\n",
    ),
    case(
        "standard-error-to-standard-output",
        &["utility_sh:redirection-duplicate"],
        "{ echo err >&2; } 2>&1",
        0,
        "err\n",
    ),
    case(
        "here-documents-expanded-and-literal",
        &["utility_sh:here-document"],
        "show() { while read -r line; do echo \"$line\"; done; }\n\
         x=val; show <<EOF\n$x and \\$x\nEOF\nshow <<'EOF'\n$x\nEOF\nshow <<-EOF\n\tstripped\n\tEOF",
        0,
        "val and $x\n$x\nstripped\n",
    ),
    case(
        "pathname-expansion",
        &["utility_sh:pathname-expansion"],
        "for f in /bin/s*; do [ \"$f\" = /bin/sh ] && echo found; done; echo /d?v /[b]in '/bin/s*' /no-match*",
        0,
        "found\n/dev /bin /bin/s* /no-match*\n",
    ),
    // Pipelines and command substitution (the files issue's shell lines, as far as they need
    // only the shell and itself).
    case(
        "pipeline-status-is-the-last-commands",
        &["utility_sh:pipelines"],
        "false | true; echo $?; true | false; echo $?; ! true | false; echo $?",
        0,
        "0\n1\n0\n",
    ),
    case(
        "pipeline-carries-data-through-a-program",
        &["utility_sh:pipelines"],
        "echo one two | sh -c 'read a b; echo $b $a'",
        0,
        "two one\n",
    ),
    case(
        "pipeline-of-compound-commands",
        &["utility_sh:pipelines"],
        "for i in 1 2 3; do echo $i; done | while read n; do echo n$n; done",
        0,
        "n1\nn2\nn3\n",
    ),
    case(
        "command-substitution",
        &["utility_sh:command-substitution"],
        "echo $(echo a b) \"$(echo '  c  ')\" `echo d` $(sh -c 'echo e; exit 3') $?; x=$(false); echo $?",
        0,
        "a b   c   d e 0\n1\n",
    ),
    case(
        "command-substitution-of-a-program-keeps-inner-newlines-in-quotes",
        &["utility_sh:command-substitution"],
        "x=$(sh -c 'echo a; echo b'); echo \"$x\"; echo $x",
        0,
        "a\nb\na b\n",
    ),
    case(
        "command-substitution-of-a-pipeline",
        &["utility_sh:command-substitution"],
        "echo $(echo a b | { read x y; echo $y; }) $(echo c | sh -c 'read z; echo $z$z')",
        0,
        "b cc\n",
    ),
    case(
        "redirections-of-programs",
        &["utility_sh:redirection-input"],
        "sh -c 'echo out; echo err >&2' > /tmp/p1 2> /tmp/p2; read o < /tmp/p1; read e < /tmp/p2; echo $o $e; sh -c 'read l; echo got $l' < /tmp/p1",
        0,
        "out err\ngot out\n",
    ),
    case(
        "here-document-into-a-program",
        &["utility_sh:here-document"],
        "sh -c 'read a; read b; echo $b $a' <<EOF\nfirst\nsecond\nEOF",
        0,
        "second first\n",
    ),
    case(
        "set-x-traces-commands-on-standard-error",
        &["utility_sh:set-x"],
        "{ set -x; echo a 'b c'; set +x; } 2>&1",
        0,
        "+ echo a 'b c'\na b c\n+ set +x\n",
    ),
    case(
        "exec-redirections-stay-in-force",
        &["utility_sh:exec"],
        "exec 3> /tmp/e3; echo via3 >&3; exec 3>&-; echo closed >&3; echo $?; read l < /tmp/e3; echo $l",
        0,
        "1\nvia3\n",
    ),
    case(
        "wait-without-operands-waits-for-every-job",
        &["utility_sh:wait"],
        "sh -c 'exit 3' & sh -c 'exit 4' & wait; echo $?; wait 999999; echo $?",
        0,
        "0\n127\n",
    ),
    case(
        "commands-from-standard-input-line-by-line",
        &["utility_sh:standard-input"],
        "printf 'echo a\\nread x\\nb\\necho $x\\nif true\\nthen echo c; fi\\n' | sh",
        0,
        "a\nb\nc\n",
    ),
    case(
        "background-commands-read-dev-null",
        &["utility_sh:asynchronous-lists"],
        "echo line > /tmp/bg-in; sh -c 'read x; echo \"[$x]\"' & wait; sh -c 'read x; echo \"<$x>\"' < /tmp/bg-in & wait",
        0,
        "[]\n<line>\n",
    ),
    // The files issue's acceptance lines, with the utilities.
    case(
        "redirect-then-cat-through-wc",
        &["utility_sh:pipelines", "utility_sh:redirection-output"],
        "echo hello > /tmp/a && cat /tmp/a | wc -c",
        0,
        "6\n",
    ),
    case(
        "append-then-cat",
        &["utility_sh:redirection-output"],
        "echo hello > /tmp/b; echo more >> /tmp/b; cat /tmp/b",
        0,
        "hello\nmore\n",
    ),
    case(
        "cat-of-a-here-document",
        &["utility_sh:here-document"],
        "x=1; cat <<EOF\nvalue $x\nEOF",
        0,
        "value 1\n",
    ),
    case(
        "command-substitution-of-a-pipeline-of-programs",
        &["utility_sh:command-substitution"],
        "echo $(echo a b | wc -w)",
        0,
        "2\n",
    ),
    Case {
        name: "ls-of-an-expanded-pattern",
        covers: &["utility_sh:pathname-expansion"],
        script: "ls /bin/s*",
        arguments: &[],
        status: 0,
        output: Expected::Containing("/bin/sh\n"),
    },
    case(
        "yes-into-head-ends",
        &["utility_sh:pipelines"],
        "yes | head -n 1",
        0,
        "y\n",
    ),
    // `dmesg`: the kernel's log (KernelLogRead) through pipelines — lines to count, the first
    // line the kernel logs at boot, every line stamped (time since boot: the lines logged before
    // the timer is calibrated say 0, as Linux's do) — and read-only: `-c` is refused.
    case(
        "dmesg-into-grep-counts-the-kernel-log",
        &["utility_dmesg"],
        "test $(dmesg | grep -c .) -gt 5 && dmesg | grep -c '] \\[info\\] exokernel .* booting via' && echo unstamped $(dmesg | grep -vc '^\\[') && dmesg | head -n 1 | cut -c 1-14",
        0,
        "1\nunstamped 0\n[    0.000000]\n",
    ),
    case(
        "dmesg-refuses-options",
        &["utility_dmesg:usage"],
        "dmesg -c 2>&1; echo $?",
        0,
        "dmesg: invalid option -- 'c'\nusage: dmesg\n2\n",
    ),
    // A shell whose heap once held a 6.5 MB program (read for `posix_spawn`) forks a subshell
    // that spawns it again: the subshell writes more shared pages than its copy pool has slots
    // (it died of SIGSEGV before copies took blocks of pages once the pool ran low).
    case(
        "subshell-spawning-a-big-program-after-the-shell-did",
        &["utility_sh:subshells"],
        "cp /bin/posix-process-tests /tmp/big-program && /tmp/big-program child nothing 0 2>/dev/null; \
         echo first $?; (/tmp/big-program child nothing 0 2>/dev/null; echo second $?); echo after $?; \
         rm /tmp/big-program",
        0,
        "first 2\nsecond 2\nafter 0\n",
    ),
    case(
        "cat-of-a-fifo-in-the-background",
        &["utility_mkfifo", "utility_sh:fifo"],
        "rm -f /tmp/shell-fifo; mkfifo /tmp/shell-fifo; cat /tmp/shell-fifo & echo hi > /tmp/shell-fifo; wait; \
         ls -l /tmp/shell-fifo | cut -c 1-10; mkfifo /tmp/shell-fifo 2>/dev/null; echo $?; \
         rm /tmp/shell-fifo; mkfifo -m 666 /tmp/shell-fifo; ls -l /tmp/shell-fifo | cut -c 1-10; \
         rm /tmp/shell-fifo; mkfifo 2>/dev/null; echo $?",
        0,
        "hi\nprw-r--r--\n1\nprw-rw-rw-\n2\n",
    ),
];

//! `pki-lab lab`: list, show, run (interactive, one step at a time, resumable), check (grade an
//! answers file) and validate lab files.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use time::OffsetDateTime;

use crate::catalogue::rules::RuleId;
use crate::cli::output::table;
use crate::cli::{LabArgs, LabCheckArgs, LabCommand, LabListArgs, LabRunArgs, LabShowArgs, LabValidateArgs};
use crate::error::{Error, Result};
use crate::lab::grade::{self, Grade, Outcome};
use crate::lab::progress::{self, Progress};
use crate::lab::session::Session;
use crate::lab::{self, Action, Lab, Step, answers};
use crate::labdir;

pub(crate) fn lab(dir: &Path, args: LabArgs, now: OffsetDateTime) -> Result<i32> {
    match args.command {
        LabCommand::List(a) => list(a),
        LabCommand::Show(a) => show(a),
        LabCommand::Run(a) => run(dir, a, now),
        LabCommand::Check(a) => check(dir, a, now),
        LabCommand::Validate(a) => validate(a),
    }
}

fn list(args: LabListArgs) -> Result<i32> {
    let labs = lab::builtin(crate::cli::parse_step)?;
    if args.json {
        let items: Vec<_> = labs
            .iter()
            .map(|l| {
                serde_json::json!({
                    "id": l.id,
                    "title": l.title,
                    "level": l.level,
                    "goal": l.goal,
                    "prerequisites": l.prerequisites,
                    "scenarios": l.scenarios,
                    "servers": l.servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
                    "gateways": l.gateways.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
                    "steps": l.steps.len(),
                    "covers": l.coverage(),
                })
            })
            .collect();
        super::output::json(&items)?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = labs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                (i + 1).to_string(),
                l.id.clone(),
                l.level.as_str().to_string(),
                l.steps.len().to_string(),
                l.title.clone(),
            ]
        })
        .collect();
    out!("{}", table(&["#", "LAB", "LEVEL", "STEPS", "TITLE"], &rows))?;
    if let Some(first) = labs.first() {
        eprintln!("next: `pki-lab lab show {0}` to read about one, `pki-lab lab run {0}` to start", first.id);
    }
    Ok(0)
}

fn show(args: LabShowArgs) -> Result<i32> {
    let l = lab::find(&args.lab, crate::cli::parse_step)?;
    let cov = l.coverage();
    outln!("{} — {}", l.id, l.title)?;
    outln!("level          {}", l.level.as_str())?;
    outln!("goal           {}", wrap(&l.goal, 80).join("\n               "))?;
    let or_none = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    outln!("prerequisites  {}", or_none(&l.prerequisites))?;
    outln!("scenarios      {}", or_none(&l.scenarios))?;
    for s in &l.servers {
        outln!("server         {} ({}; {})", s.name, s.scenario, s.session.describe())?;
    }
    for g in &l.gateways {
        outln!(
            "gateway        {} ({}, {} backends of {}; {})",
            g.name,
            g.mode.as_str(),
            g.backends,
            g.scenario,
            g.session.describe()
        )?;
    }
    outln!("rules          {}", if cov.rules.is_empty() { "none".into() } else { RuleId::join(&cov.rules, ", ") })?;
    outln!(
        "handshake      {}",
        if cov.steps.is_empty() {
            "none".into()
        } else {
            cov.steps.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        }
    )?;
    outln!("steps")?;
    let rows: Vec<Vec<String>> = l
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let what = match &s.action {
                Action::Run(c) => format!("pki-lab {}", c.command.text),
                _ => first_line(&s.text),
            };
            vec![format!("  {}", i + 1), s.action.kind().to_string(), s.id.clone(), what]
        })
        .collect();
    out!("{}", table(&["", "", "", ""], &rows).lines().skip(1).map(|l| format!("{l}\n")).collect::<String>())?;
    eprintln!("next: `pki-lab lab run {}`", l.id);
    Ok(0)
}

/// Words of `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(word);
        }
    }
    lines
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let mut out: String = line.chars().take(70).collect();
    if line.chars().count() > 70 || text.trim().lines().count() > 1 {
        out.push('…');
    }
    out
}

fn validate(args: LabValidateArgs) -> Result<i32> {
    let mut bad = 0;
    for f in &args.files {
        match lab::load_file(f, crate::cli::parse_step) {
            Ok(l) => outln!(
                "ok  {}  (lab `{}`, {} step{})",
                f.display(),
                l.id,
                l.steps.len(),
                if l.steps.len() == 1 { "" } else { "s" }
            )?,
            Err(e) => {
                bad += 1;
                eprintln!("error: {e}");
            }
        }
    }
    Ok(if bad == 0 { 0 } else { 2 })
}

/// The time to judge certificates at: fixed when `PKI_LAB_NOW` pins it, else the clock at each
/// check (a lab can last an hour, and the learner's new certificates start "now").
fn pinned(now: OffsetDateTime) -> Option<OffsetDateTime> {
    std::env::var("PKI_LAB_NOW").is_ok_and(|v| !v.is_empty()).then_some(now)
}

/// Makes a lab in `dir` if there is none, like `serve` does, and warns when its certificates
/// have aged out (every "valid" server would then fail for the wrong reason).
fn ensure_lab(dir: &Path, now: OffsetDateTime) -> Result<()> {
    super::init::auto_init(dir, now)?;
    let m = super::open_lab(dir, now)?;
    if let Some(v) = m.scenarios.iter().find(|s| s.name == "valid")
        && OffsetDateTime::parse(&v.not_after, &time::format_description::well_known::Rfc3339).is_ok_and(|t| t < now)
    {
        eprintln!(
            "warning: the lab's certificates expired on {}; the labs will not behave as written\n  hint: `pki-lab init --renew` re-issues them (lab progress is kept)",
            v.not_after
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// lab check

fn check(dir: &Path, args: LabCheckArgs, now: OffsetDateTime) -> Result<i32> {
    let l = lab::find(&args.lab, crate::cli::parse_step)?;
    let answers = answers::load(&args.answers, &l)?;
    let scripts = answers.has_shell();
    if !scripts.is_empty() && !args.allow_shell {
        return Err(Error::Usage(format!(
            "the answers for {} run shell scripts\n  hint: read {} first; pass --allow-shell to run them with your permissions",
            scripts.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "),
            args.answers.display()
        )));
    }
    ensure_lab(dir, now)?;
    let session = Session::start(dir, &l, &progress::work_dir(dir, &l.id), pinned(now))?;
    let results = grade::grade(&l, &answers, &session, args.allow_shell);
    session.shutdown();
    let failed: Vec<&str> = results.iter().filter(|r| r.grade == Grade::Fail).map(|r| r.step.as_str()).collect();
    let graded = results.iter().filter(|r| r.grade != Grade::Read).count();
    if args.json {
        let json = serde_json::json!({
            "lab": l.id,
            "answers": answers.file,
            "passed": failed.is_empty(),
            "failed": failed,
            "steps": results,
        });
        super::output::json(&json)?;
    } else {
        let paint = Paint::stdout();
        outln!("lab {} — {} (answers: {})", l.id, l.title, answers.file)?;
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|r| vec![r.step.clone(), r.kind.to_string(), r.grade.label().to_string(), r.detail.clone()])
            .collect();
        let text = table(&["STEP", "KIND", "RESULT", "DETAIL"], &rows);
        for line in text.lines() {
            outln!("{}", paint.grades(line))?;
        }
        for r in &results {
            if let Some(why) = &r.why {
                outln!("{}: why not: {why}", r.step)?;
            }
        }
        if args.verbose {
            for r in &results {
                if let Some(o) = &r.outcome {
                    outln!("\n{} · {}", r.step, o.command)?;
                    print_findings(&paint, o, &mut std::io::stdout());
                }
            }
        }
        if failed.is_empty() {
            outln!("{}", paint.green(&format!("all {graded} graded steps pass")))?;
        } else {
            outln!(
                "{}",
                paint.red(&format!(
                    "{} of {graded} graded steps pass; failed: {}",
                    graded - failed.len(),
                    failed.join(", ")
                ))
            )?;
        }
    }
    Ok(if failed.is_empty() { 0 } else { 1 })
}

// ---------------------------------------------------------------------------------------------
// lab run

fn run(dir: &Path, args: LabRunArgs, now: OffsetDateTime) -> Result<i32> {
    let l = lab::find(&args.lab, crate::cli::parse_step)?;
    ensure_lab(dir, now)?;
    if args.restart {
        Progress::reset(dir, &l.id)?;
    }
    let mut progress = Progress::load(dir, &l)?;
    let stdin = std::io::stdin();
    let echo = !stdin.is_terminal();
    let mut console =
        Console { input: stdin.lock(), out: std::io::stdout(), paint: Paint::stdout(), echo, published: false };
    let Some(start) = progress.next_step(&l) else {
        console.say(&format!(
            "You finished `{}` on {}. `pki-lab lab run {} --restart` does it again; `pki-lab lab list` shows the others.",
            l.id,
            progress.finished.as_deref().unwrap_or("an earlier run"),
            l.id
        ));
        return Ok(0);
    };
    let mut session = Session::start(dir, &l, &progress::work_dir(dir, &l.id), pinned(now))?;
    let published = session.publish_ports()?;
    console.published = published;
    let result = interact(&l, &session, &mut progress, start, dir, &mut console);
    session.shutdown();
    result
}

/// What became of one step.
enum Ended {
    Done(usize),
    Skipped(usize),
    Quit,
}

fn interact<R: BufRead, W: Write>(
    l: &Lab,
    session: &Session,
    progress: &mut Progress,
    start: usize,
    dir: &Path,
    c: &mut Console<R, W>,
) -> Result<i32> {
    let n = l.steps.len();
    let p = c.paint;
    c.say(&p.bold(&format!("{} — {}", l.id, l.title)));
    c.say(&format!("goal: {}", wrap(&l.goal, 90).join("\n      ")));
    c.say(&format!("{n} steps. At a prompt: h shows a hint, s skips the step, q quits (your progress is kept)."));
    c.say(&format!("your work directory: {}", session.work().display()));
    let servers = session.servers();
    if !servers.is_empty() {
        let list: Vec<String> = servers.iter().map(|(name, addr)| format!("{name} on {addr}")).collect();
        c.say(&format!("serving for this lab: {}", list.join(", ")));
        if c.published {
            c.say("while this lab runs, `pki-lab probe SCENARIO` in another terminal reaches these servers");
        }
        if let Some((name, addr)) = servers.iter().find(|(n, _)| n.contains(':')) {
            c.say(&format!(
                "a lab's own server or gateway is reached by its port: `{name}` is `pki-lab probe localhost:{}`",
                addr.port()
            ));
        }
    }
    if start > 0 {
        c.say(&format!("resuming at step {} of {n} ({} done before)", start + 1, start));
    }
    for (i, step) in l.steps.iter().enumerate().skip(start) {
        if progress.steps.contains_key(&step.id) {
            continue;
        }
        c.say("");
        c.say(&p.bold(&format!("── step {}/{n} · {} · {} ──", i + 1, step.action.kind(), step.id)));
        c.say(&indent(&session.fill_text(&step.text), "  "));
        let ended = match &step.action {
            Action::Explain => explain(c)?,
            Action::Run(check) => run_step(step, check, session, c)?,
            Action::Question(q) => question(step, q, session, c)?,
            Action::Task(task) => task_step(step, task, session, c)?,
        };
        let at = labdir::rfc3339(OffsetDateTime::now_utc());
        match ended {
            Ended::Done(hints) => progress.mark(&step.id, "done", hints, at),
            Ended::Skipped(hints) => progress.mark(&step.id, "skipped", hints, at),
            Ended::Quit => {
                progress.save(dir)?;
                c.say("");
                c.say(&format!(
                    "progress saved ({} of {n} steps). `pki-lab lab run {}` resumes at step {}.",
                    progress.steps.len(),
                    l.id,
                    i + 1
                ));
                return Ok(0);
            }
        }
        progress.save(dir)?;
    }
    let skipped: Vec<&str> =
        progress.steps.iter().filter(|(_, s)| s.status == "skipped").map(|(id, _)| id.as_str()).collect();
    progress.finished = Some(labdir::rfc3339(OffsetDateTime::now_utc()));
    progress.save(dir)?;
    c.say("");
    if skipped.is_empty() {
        c.say(&p.green(&format!("lab `{}` complete: all {n} steps done.", l.id)));
    } else {
        c.say(&p.green(&format!(
            "lab `{}` complete: {} of {n} steps done, skipped: {}.",
            l.id,
            n - skipped.len(),
            skipped.join(", ")
        )));
    }
    let next: Vec<String> = lab::builtin(crate::cli::parse_step)
        .unwrap_or_default()
        .into_iter()
        .filter(|x| x.prerequisites.contains(&l.id))
        .map(|x| x.id)
        .collect();
    if !next.is_empty() {
        c.say(&format!("next: `pki-lab lab run {}`", next[0]));
    }
    Ok(0)
}

fn explain<R: BufRead, W: Write>(c: &mut Console<R, W>) -> Result<Ended> {
    loop {
        match c.ask("[Enter] continue, q quit> ")?.as_deref().map(str::trim) {
            None | Some("q") => return Ok(Ended::Quit),
            Some("" | "s") => return Ok(Ended::Done(0)),
            Some(_) => c.say("press Enter to continue, or q to quit"),
        }
    }
}

fn run_step<R: BufRead, W: Write>(
    step: &Step,
    check: &lab::Check,
    session: &Session,
    c: &mut Console<R, W>,
) -> Result<Ended> {
    let mut hints = 0;
    c.say(&c.paint.dim(&format!("  $ pki-lab {}", session.fill_text(&check.command.text))));
    loop {
        match c.ask("[Enter] run it, h hint, s skip, q quit> ")?.as_deref().map(str::trim) {
            None | Some("q") => return Ok(Ended::Quit),
            Some("s") => return skipped(step, None, hints, session, c),
            Some("h") => hint(step, &mut hints, session, c),
            Some("") => {
                let o = grade::run_check(session, check, &BTreeMap::new());
                show_outcome(&o, c);
                if o.ok {
                    explanation(step, session, c);
                    return Ok(Ended::Done(hints));
                }
                c.say("This did not turn out as the lab expects. Enter runs it again; s skips.");
            }
            Some(_) => c.say("press Enter to run the command, or h, s, q"),
        }
    }
}

fn question<R: BufRead, W: Write>(
    step: &Step,
    q: &lab::Question,
    session: &Session,
    c: &mut Console<R, W>,
) -> Result<Ended> {
    let mut hints = 0;
    for line in q.labelled_choices() {
        c.say(&format!("    {line}"));
    }
    let prompt = if q.choices.is_empty() {
        "your answer (h hint, s skip, q quit)> "
    } else {
        "your choice (h hint, s skip, q quit)> "
    };
    loop {
        let Some(given) = c.ask(prompt)? else { return Ok(Ended::Quit) };
        match given.trim() {
            "q" => return Ok(Ended::Quit),
            "s" => return skipped(step, Some(&q.shown_answer()), hints, session, c),
            "h" => hint(step, &mut hints, session, c),
            "" => {}
            g if q.is_correct(g) => {
                c.say(&c.paint.green("✓ right."));
                explanation(step, session, c);
                return Ok(Ended::Done(hints));
            }
            g => {
                let more = if hints < step.hints.len() { " h shows a hint." } else { "" };
                match q.why_wrong(g) {
                    Some(why) => {
                        c.say(&format!("{} {why}", c.paint.red("✗ not quite:")));
                        c.say(&format!("  try again.{more}"));
                    }
                    None => c.say(&format!("{} try again.{more}", c.paint.red("✗ not quite:"))),
                }
            }
        }
    }
}

fn task_step<R: BufRead, W: Write>(
    step: &Step,
    task: &lab::Task,
    session: &Session,
    c: &mut Console<R, W>,
) -> Result<Ended> {
    let mut hints = 0;
    loop {
        let mut values = BTreeMap::new();
        if task.inputs.is_empty() {
            match c.ask("[Enter] when done to check, h hint, s skip, q quit> ")?.as_deref().map(str::trim) {
                None | Some("q") => return Ok(Ended::Quit),
                Some("s") => return skipped(step, None, hints, session, c),
                Some("h") => {
                    hint(step, &mut hints, session, c);
                    continue;
                }
                Some(_) => {}
            }
        }
        let mut again = false;
        for input in &task.inputs {
            let default = input.default.as_deref().map(|d| session.fill_text(d));
            let prompt = match &default {
                Some(d) => format!("{} [{d}] (h, s, q)> ", input.prompt),
                None => format!("{} (h, s, q)> ", input.prompt),
            };
            loop {
                let Some(given) = c.ask(&prompt)? else { return Ok(Ended::Quit) };
                match given.trim() {
                    "q" => return Ok(Ended::Quit),
                    "s" => return skipped(step, None, hints, session, c),
                    "h" => hint(step, &mut hints, session, c),
                    "" if default.is_some() => {
                        values.insert(input.name.clone(), default.clone().unwrap_or_default());
                        break;
                    }
                    "" => c.say("this needs a value (or h for a hint)"),
                    v => {
                        values.insert(input.name.clone(), session.fill_text(v));
                        break;
                    }
                }
            }
        }
        if let Err(why) = task.admit(&values) {
            c.say(&c.paint.red(&format!("✗ {why}")));
            continue;
        }
        let o = grade::run_check(session, &task.check, &values);
        c.say(&c.paint.dim(&format!("  checking: {}", o.command)));
        show_outcome(&o, c);
        if o.ok {
            explanation(step, session, c);
            return Ok(Ended::Done(hints));
        }
        c.say("Not yet. Change what needs changing, then try again (h for a hint, s to skip).");
        if task.inputs.is_empty() {
            continue;
        }
        while !again {
            match c.ask("[Enter] try again, h hint, s skip, q quit> ")?.as_deref().map(str::trim) {
                None | Some("q") => return Ok(Ended::Quit),
                Some("s") => return skipped(step, None, hints, session, c),
                Some("h") => hint(step, &mut hints, session, c),
                _ => again = true,
            }
        }
    }
}

fn hint<R: BufRead, W: Write>(step: &Step, shown: &mut usize, session: &Session, c: &mut Console<R, W>) {
    if step.hints.is_empty() {
        c.say("no hints for this step");
    } else if *shown >= step.hints.len() {
        c.say(&format!(
            "that was the last hint; here it is again: {}",
            session.fill_text(&step.hints[step.hints.len() - 1])
        ));
    } else {
        let text = session.fill_text(&step.hints[*shown]);
        *shown += 1;
        c.say(&c.paint.yellow(&format!("hint {}/{}: {}", shown, step.hints.len(), indent(&text, "  ").trim_start())));
    }
}

/// A skip still teaches: the answer when there is one, and the step's explanation.
fn skipped<R: BufRead, W: Write>(
    step: &Step,
    answer: Option<&str>,
    hints: usize,
    session: &Session,
    c: &mut Console<R, W>,
) -> Result<Ended> {
    match answer {
        Some(a) => c.say(&format!("skipped; the answer is: {a}")),
        None => c.say("skipped; what it shows:"),
    }
    explanation(step, session, c);
    Ok(Ended::Skipped(hints))
}

fn explanation<R: BufRead, W: Write>(step: &Step, session: &Session, c: &mut Console<R, W>) {
    if let Some(e) = &step.explanation {
        c.say(&indent(&session.fill_text(e), "  "));
    }
}

fn show_outcome<R: BufRead, W: Write>(o: &Outcome, c: &mut Console<R, W>) {
    if !o.output.is_empty() {
        c.say(&indent(o.output.trim_end(), "    "));
    }
    let paint = c.paint;
    print_findings(&paint, o, &mut c.out);
}

fn print_findings(paint: &Paint, o: &Outcome, out: &mut dyn Write) {
    if let Some(e) = &o.error {
        let _ = writeln!(out, "{} {}", paint.red("✗ could not run it:"), e.replace('\n', "\n    "));
    }
    for f in &o.findings {
        let line = if f.ok { paint.green(&format!("✓ {}", f.text)) } else { paint.red(&format!("✗ {}", f.text)) };
        let _ = writeln!(out, "{line}");
    }
}

fn indent(text: &str, pad: &str) -> String {
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") }).collect::<Vec<_>>().join("\n")
}

/// Line-based terminal talk: works the same with a pseudo-terminal, a pipe or a file.
struct Console<R, W> {
    input: R,
    out: W,
    paint: Paint,
    /// Repeat each answer after its prompt, so that a transcript of piped input reads well.
    echo: bool,
    /// This session's servers are in `<lab>/serve.json` for other terminals.
    published: bool,
}

impl<R: BufRead, W: Write> Console<R, W> {
    fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    /// The next line, or `None` at the end of the input.
    fn ask(&mut self, prompt: &str) -> Result<Option<String>> {
        let _ = write!(self.out, "{}", self.paint.bold(prompt));
        let _ = self.out.flush();
        let mut line = String::new();
        let n = self.input.read_line(&mut line).map_err(|e| Error::Io {
            action: "reading",
            path: "standard input".into(),
            source: e,
        })?;
        let line = (n > 0).then(|| line.trim_end_matches(['\n', '\r']).to_string());
        if self.echo {
            let _ = writeln!(self.out, "{}", line.as_deref().unwrap_or(""));
        }
        Ok(line)
    }
}

/// ANSI colours (anstyle), only for a terminal, only without `NO_COLOR` and not for `TERM=dumb`.
#[derive(Debug, Clone, Copy)]
struct Paint {
    on: bool,
}

impl Paint {
    fn stdout() -> Paint {
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Paint { on: std::io::stdout().is_terminal() && !anstyle_query::no_color() && !dumb }
    }

    fn wrap(&self, style: anstyle::Style, s: &str) -> String {
        if self.on { format!("{style}{s}{style:#}") } else { s.to_string() }
    }
    fn fg(&self, colour: anstyle::AnsiColor, s: &str) -> String {
        self.wrap(anstyle::Style::new().fg_color(Some(colour.into())), s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap(anstyle::Style::new().bold(), s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap(anstyle::Style::new().dimmed(), s)
    }
    fn green(&self, s: &str) -> String {
        self.fg(anstyle::AnsiColor::Green, s)
    }
    fn red(&self, s: &str) -> String {
        self.fg(anstyle::AnsiColor::Red, s)
    }
    fn yellow(&self, s: &str) -> String {
        self.fg(anstyle::AnsiColor::Yellow, s)
    }

    /// Colours the RESULT cell of a `lab check` row.
    fn grades(&self, line: &str) -> String {
        if !self.on {
            return line.to_string();
        }
        line.replacen("  FAIL  ", &format!("  {}  ", self.red("FAIL")), 1).replacen(
            "  pass  ",
            &format!("  {}  ", self.green("pass")),
            1,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_writes_the_same_ansi_codes() {
        let on = Paint { on: true };
        assert_eq!(on.bold("x"), "\x1b[1mx\x1b[0m");
        assert_eq!(on.dim("x"), "\x1b[2mx\x1b[0m");
        assert_eq!(on.red("x"), "\x1b[31mx\x1b[0m");
        assert_eq!(on.green("x"), "\x1b[32mx\x1b[0m");
        assert_eq!(on.yellow("x"), "\x1b[33mx\x1b[0m");
        assert_eq!(Paint { on: false }.red("x"), "x");
    }
}

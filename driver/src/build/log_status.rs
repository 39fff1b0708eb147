//! What a running tool is doing, read from the end of its log: the
//! progress line `ferrominer build` shows during yosys and nextpnr runs,
//! which on a large ECP5 design take hours.

use super::Step;

/// A short description of where the tool writing `log_tail` (the end of its
/// log) has got to, or `None` if the text says nothing recognisable.
pub fn log_status(step: Step, log_tail: &str) -> Option<String> {
    let lines = log_tail.lines().rev();
    match step {
        Step::Synthesis => lines.filter_map(yosys_pass).next(),
        Step::PlaceAndRoute => {
            let total = log_tail.lines().rev().find_map(routing_total);
            lines.filter_map(|l| nextpnr_status(l, total)).next()
        }
        Step::Pack => None,
    }
}

/// yosys numbers its passes: `2.31. Executing ABC9 pass.`
fn yosys_pass(line: &str) -> Option<String> {
    let (number, rest) = line.split_once(". Executing ")?;
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let what = rest.trim_end().trim_end_matches('.');
    Some(format!("running {what}"))
}

/// `Info: Routing 237937 arcs.`
fn routing_total(line: &str) -> Option<u64> {
    let n = info(line)?
        .strip_prefix("Routing ")?
        .strip_suffix(" arcs.")?;
    n.trim().parse().ok()
}

/// `Info: ` stripped, or `None` for other lines.
fn info(line: &str) -> Option<&str> {
    line.strip_prefix("Info:").map(str::trim)
}

/// The value after `key` in `text`, up to the next comma, space or `:`.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let rest = &text[text.find(key)? + key.len()..];
    let end = rest.find([',', ' ', ':']).unwrap_or(rest.len());
    Some(&rest[..end])
}

fn nextpnr_status(line: &str, total_arcs: Option<u64>) -> Option<String> {
    let text = info(line)?;
    if let Some(rest) = text.strip_prefix("Creating initial analytic placement for ") {
        let cells = rest.split_whitespace().next()?;
        return Some(format!("placing {cells} cells"));
    }
    if text.starts_with("at initial placer iter") {
        return Some("placement: initial solution".to_string());
    }
    if let Some(rest) = text.strip_prefix("at iteration #") {
        let iteration = field(rest, "")?;
        // HeAP: "at iteration #5, type ALL: ..."; annealing: "#5: temp = ...".
        let phase = if rest.contains("temp =") {
            "refinement"
        } else {
            "analytic"
        };
        return Some(format!("placement ({phase}), iteration {iteration}"));
    }
    if text.starts_with("Routing globals") {
        return Some("routing the global networks".to_string());
    }
    if let Some(n) = routing_total(line) {
        return Some(format!("routing {n} arcs"));
    }
    // router1's table: "  816000 |  417207  378734 |  497  471 |  1423|  10.54  5697.05|"
    let cols: Vec<&str> = text.split('|').map(str::trim).collect();
    if cols.len() >= 5 && cols[0].parse::<u64>().is_ok() {
        let left: u64 = cols[3].parse().ok()?;
        let seconds = cols[4].split_whitespace().last()?.parse::<f64>().ok()?;
        return Some(match total_arcs {
            Some(total) => format!("routing: {left} of {total} arcs left after {seconds:.0} s"),
            None => format!("routing: {left} arcs left after {seconds:.0} s"),
        });
    }
    // router2: "iter=4 wires=1346579 overused=55526 overuse=58053 archfail=NA"
    if text.starts_with("iter=") {
        let iteration = field(text, "iter=")?;
        let overused = field(text, "overused=")?;
        return Some(format!(
            "routing (router2), iteration {iteration}: {overused} wires overused"
        ));
    }
    if text.starts_with("Routing complete") {
        return Some("routed; timing analysis".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines in the formats yosys 0.70 and nextpnr 0.11 write (from the
    // logs of a ULX3S-85F build).

    #[test]
    fn yosys_pass_names() {
        let log = "2.30. Executing ABC9 pass.\n\n2.31. Executing TECHMAP pass (map to technology primitives).\n\
                   Using template $paramod.\n";
        assert_eq!(
            log_status(Step::Synthesis, log).as_deref(),
            Some("running TECHMAP pass (map to technology primitives)")
        );
        assert_eq!(log_status(Step::Synthesis, "Using template x.\n"), None);
        assert_eq!(
            log_status(Step::Synthesis, "1.2x. Executing Y pass.\n"),
            None
        );
    }

    #[test]
    fn placement_phases() {
        let pnr = |log: &str| log_status(Step::PlaceAndRoute, log);
        assert_eq!(
            pnr("Info: Creating initial analytic placement for 68299 cells, random placement wirelen = 9460371.\n")
                .as_deref(),
            Some("placing 68299 cells")
        );
        assert_eq!(
            pnr("Info:     at iteration #12, type ALL: wirelen solved = 557853, spread = 767775, legal = 841803; time = 5.50s\n")
                .as_deref(),
            Some("placement (analytic), iteration 12")
        );
        assert_eq!(
            pnr("Info: Running simulated annealing placer for refinement.\n\
                 Info:   at iteration #25: temp = 0.000000, timing cost = 850, wirelen = 669090\n")
            .as_deref(),
            Some("placement (refinement), iteration 25")
        );
    }

    #[test]
    fn routing_progress() {
        let pnr = |log: &str| log_status(Step::PlaceAndRoute, log);
        let head = "Info: Routing 237937 arcs.\n\
                    Info:            |   (re-)routed arcs  |   delta    | remaining|       time spent     |\n\
                    Info:    IterCnt |  w/ripup   wo/ripup |  w/r  wo/r |      arcs| batch(sec) total(sec)|\n";
        assert_eq!(pnr(head).as_deref(), Some("routing 237937 arcs"));
        let row = "Info:     816000 |   417207     378734 |  497   471 |      1423|      10.54    5697.05|\n";
        assert_eq!(
            pnr(&format!("{head}{row}")).as_deref(),
            Some("routing: 1423 of 237937 arcs left after 5697 s")
        );
        // Only the end of a long log is read: the total may be cut off.
        assert_eq!(
            pnr(row).as_deref(),
            Some("routing: 1423 arcs left after 5697 s")
        );
        assert_eq!(
            pnr("Info:     iter=4 wires=1346579 overused=55526 overuse=58053 archfail=NA\n")
                .as_deref(),
            Some("routing (router2), iteration 4: 55526 wires overused")
        );
        assert_eq!(
            pnr(&format!("{head}{row}Info: Routing complete.\n")).as_deref(),
            Some("routed; timing analysis")
        );
    }

    #[test]
    fn unknown_text_gives_nothing() {
        for step in [Step::Synthesis, Step::PlaceAndRoute, Step::Pack] {
            assert_eq!(log_status(step, ""), None);
            assert_eq!(
                log_status(step, "Warning: something | 12 | x | y | z\n"),
                None
            );
        }
    }
}

//! Session ids and names (SPEC §1).
//!
//! Ids are Bernstein's: a letter of `pqrstuvwxyzabcdefghijklmno` and a hex
//! digit (416 of them), then a letter and two hex digits. Names are the
//! process manager's handles: never shaped like an id, so the two never
//! collide.

use std::collections::HashSet;

const FIRST: &[u8] = b"pqrstuvwxyzabcdefghijklmno";
const HEX: &[u8] = b"0123456789abcdef";

/// Longest name accepted.
pub const MAX_NAME: usize = 64;

/// Every id in allocation order.
fn all_ids() -> impl Iterator<Item = String> {
    let short = FIRST.iter().flat_map(|&a| HEX.iter().map(move |&b| [a, b].to_vec()));
    let long = FIRST
        .iter()
        .flat_map(|&a| HEX.iter().flat_map(move |&b| HEX.iter().map(move |&c| [a, b, c].to_vec())));
    short.chain(long).map(|v| String::from_utf8(v).expect("ascii"))
}

/// The first id not in `used`, if any is left.
pub fn first_free_id(used: &HashSet<String>) -> Option<String> {
    all_ids().find(|id| !used.contains(id))
}

pub use sess_proto::is_id;

/// Sort key for ids: shorter first, then byte order.
pub fn id_order(id: &str) -> (usize, &str) {
    (id.len(), id)
}

/// Why a name cannot be used.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(format!("invalid name '{name}': names have 1 to {MAX_NAME} characters"));
    }
    if is_id(name) {
        return Err(format!("invalid name '{name}': a name may not look like a session id"));
    }
    let ok = |c: char| c.is_alphanumeric() || "-_.@+:".contains(c);
    if !name.chars().all(ok) || name.starts_with('-') {
        return Err(format!(
            "invalid name '{name}': use letters, digits and - _ . @ + : (not first -)"
        ));
    }
    Ok(())
}

/// The default name: the program's basename and the smallest free integer
/// from 1 (`bash1`, `bash2`, ...) that does not make it look like an id.
pub fn auto_name(program: &str, used: &HashSet<String>) -> String {
    let base: String = program
        .rsplit('/')
        .next()
        .unwrap_or(program)
        .chars()
        .filter(|&c| c.is_alphanumeric() || "-_.@+:".contains(c))
        .collect();
    let base = base.trim_start_matches('-');
    let base = if base.is_empty() { "session" } else { base };
    // Room for the number within the 64 bytes a name may have.
    let mut base = base.to_owned();
    while base.len() > MAX_NAME - 6 {
        base.pop();
    }
    (1..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !used.contains(n) && !is_id(n))
        .expect("a free integer")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ids_come_in_bernsteins_order() {
        assert_eq!(first_free_id(&set(&[])).unwrap(), "p0");
        assert_eq!(first_free_id(&set(&["p0", "p1"])).unwrap(), "p2");
        assert_eq!(first_free_id(&set(&["p0", "p2"])).unwrap(), "p1");
        let ids: Vec<_> = all_ids().collect();
        assert_eq!(ids[15], "pf");
        assert_eq!(ids[16], "q0");
        assert_eq!(ids[415], "of");
        assert_eq!(ids[416], "p00");
        assert_eq!(ids.len(), 416 + 26 * 256);
        let used: HashSet<String> = ids[..416].iter().cloned().collect();
        assert_eq!(first_free_id(&used).unwrap(), "p00");
        let all: HashSet<String> = ids.iter().cloned().collect();
        assert_eq!(all.len(), ids.len(), "ids are unique");
        assert_eq!(first_free_id(&all), None);
    }

    #[test]
    fn id_shapes() {
        for id in ["p0", "of", "a9", "p00", "zff"] {
            assert!(is_id(id), "{id}");
        }
        for not in ["p", "pg", "P0", "bash1", "p0000", "0p", "p0g"] {
            assert!(!is_id(not), "{not}");
        }
    }

    #[test]
    fn ids_sort_shorter_first() {
        let mut ids = vec!["p00", "q1", "p0", "a0"];
        ids.sort_by(|a, b| id_order(a).cmp(&id_order(b)));
        assert_eq!(ids, ["a0", "p0", "q1", "p00"]);
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("backend").is_ok());
        assert!(check_name("web-1.prod").is_ok());
        assert!(check_name("p0").unwrap_err().contains("look like a session id"));
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name("-x").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }

    #[test]
    fn auto_names_take_the_smallest_free_integer() {
        assert_eq!(auto_name("/bin/bash", &set(&[])), "bash1");
        assert_eq!(auto_name("bash", &set(&["bash1", "bash3"])), "bash2");
        assert_eq!(auto_name("/", &set(&[])), "session1");
        assert_eq!(auto_name("x y", &set(&[])), "xy1");
        assert_eq!(auto_name("ab", &set(&[])), "ab10", "ab1 would look like an id");
        assert_eq!(auto_name("a", &set(&[])), "a100", "never shaped like an id");
        let long = auto_name(&"é".repeat(40), &set(&[]));
        assert!(check_name(&long).is_ok(), "a long basename is cut to fit: {long}");
    }
}

//! The client-side assignors against the reference vectors in `vectors/assignors.json`
//! (cases from Kafka's assignor tests, re-run on Kafka trunk): every case runs, through
//! `sandbox_core::assignor::vectors::AssignorCase`, the path `kafka-sandbox assignors` uses.

use sandbox_core::sorted::SortedMap;

use sandbox_core::assignor::vectors::{AssignorCase, AssignorResult};
use sandbox_core::java::{hash_map_iteration_order, string_hash_code};
use serde::Deserialize;

const VECTORS: &str = include_str!("vectors/assignors.json");

type Lists = SortedMap<String, Vec<String>>;

/// The expected fields of a case.
#[derive(Deserialize)]
struct Expected {
    id: String,
    assignor: String,
    compare: String,
    members: Vec<serde_json::Value>,
    expected_assignment: Option<Lists>,
    expected_assignment_by_group_instance_id: Option<Lists>,
    #[serde(default)]
    only_listed_members_asserted: bool,
    /// Absent for range and roundrobin; `null` when Kafka's field is null.
    #[serde(default, deserialize_with = "present")]
    partitions_transferring_ownership: Option<Option<SortedMap<String, String>>>,
    cooperative_first_round_assignment: Option<Lists>,
    cooperative_followup_rebalances: Option<u32>,
    cooperative_final_assignment: Option<Lists>,
    java_hashmap_member_iteration_order: Vec<String>,
}

/// Tells a field that is `null` (`Some(None)`) from one that is missing (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Compares two assignments as the case's `compare` mode says: `ordered_list` compares the
/// lists, `set` and `sorted_string` their sorted contents. With `only_listed`, members the
/// expectation does not name are not compared.
fn compare_lists(
    what: &str,
    mode: &str,
    only_listed: bool,
    expected: &Lists,
    actual: &Lists,
) -> Result<(), String> {
    let normalise = |lists: &Lists| -> Lists {
        lists
            .iter()
            .filter(|(member, _)| !only_listed || expected.contains_key(*member))
            .map(|(member, list)| {
                let mut list = list.clone();
                if mode != "ordered_list" {
                    list.sort();
                }
                (member.clone(), list)
            })
            .collect()
    };
    let (expected, actual) = (normalise(expected), normalise(actual));
    if expected == actual {
        return Ok(());
    }
    let mut diff = String::new();
    let members: sandbox_core::sorted::SortedSet<&String> =
        expected.keys().chain(actual.keys()).collect();
    for member in members {
        let (e, a) = (expected.get(member), actual.get(member));
        if e != a {
            diff.push_str(&format!(
                "\n      {member}: expected {e:?}\n      {:width$}  actual   {a:?}",
                "",
                width = member.len()
            ));
        }
    }
    Err(format!("{what} differs ({mode}):{diff}"))
}

fn run_case(expected: &Expected, actual: &AssignorResult) -> Result<(), String> {
    let mode = expected.compare.as_str();
    if !["ordered_list", "set", "sorted_string"].contains(&mode) {
        return Err(format!("unknown compare mode {mode:?}"));
    }
    let only_listed = expected.only_listed_members_asserted;
    match (
        &expected.expected_assignment,
        &expected.expected_assignment_by_group_instance_id,
    ) {
        (Some(lists), _) => compare_lists(
            "assignment",
            mode,
            only_listed,
            lists,
            &actual.expected_assignment,
        )?,
        (None, Some(lists)) => compare_lists(
            "assignment by group.instance.id",
            mode,
            only_listed,
            lists,
            actual
                .expected_assignment_by_group_instance_id
                .as_ref()
                .ok_or("no assignment by group.instance.id was computed")?,
        )?,
        (None, None) => return Err("the case has no expected assignment".into()),
    }
    if let Some(transferring) = &expected.partitions_transferring_ownership {
        let computed = actual.partitions_transferring_ownership.clone().flatten();
        if transferring != &computed {
            return Err(format!(
                "partitions_transferring_ownership differs:\n      expected {transferring:?}\n      actual   {computed:?}"
            ));
        }
    }
    if let Some(first) = &expected.cooperative_first_round_assignment {
        let computed = actual
            .cooperative_first_round_assignment
            .as_ref()
            .ok_or("no first round was computed")?;
        compare_lists(
            "cooperative first round",
            mode,
            only_listed,
            first,
            computed,
        )?;
    }
    if let Some(rebalances) = expected.cooperative_followup_rebalances {
        if actual.cooperative_followup_rebalances != Some(rebalances) {
            return Err(format!(
                "follow-up rebalances: expected {rebalances}, actual {:?}",
                actual.cooperative_followup_rebalances
            ));
        }
    }
    if let Some(last) = &expected.cooperative_final_assignment {
        let computed = actual
            .cooperative_final_assignment
            .as_ref()
            .ok_or("no final round was computed")?;
        compare_lists("cooperative final round", mode, only_listed, last, computed)?;
    }
    Ok(())
}

/// The member order the assignors assume (java.util.HashMap over the member ids) is the one
/// the vectors recorded from the JVM.
fn check_member_order(expected: &Expected) -> Result<(), String> {
    let ids: Vec<String> = expected
        .members
        .iter()
        .map(|m| m["member_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let hashes: Vec<i32> = ids.iter().map(|id| string_hash_code(id)).collect();
    let modelled: Vec<String> = hash_map_iteration_order(&hashes)
        .into_iter()
        .map(|i| ids[i].clone())
        .collect();
    if modelled == expected.java_hashmap_member_iteration_order {
        Ok(())
    } else {
        Err(format!(
            "member HashMap order: expected {:?}, modelled {modelled:?}",
            expected.java_hashmap_member_iteration_order
        ))
    }
}

#[test]
fn every_vector_case_passes() {
    let raw: serde_json::Value = serde_json::from_str(VECTORS).expect("vector file is JSON");
    let cases = raw["cases"].as_array().expect("`cases` is an array");
    let mut ran: SortedMap<String, usize> = SortedMap::new();
    let mut failures = Vec::new();
    for value in cases {
        let id = value["id"].as_str().unwrap_or("?").to_owned();
        let outcome = (|| -> Result<(), String> {
            let expected: Expected = serde_json::from_value(value.clone())
                .map_err(|e| format!("expected fields do not parse: {e}"))?;
            let case: AssignorCase = serde_json::from_value(value.clone())
                .map_err(|e| format!("case does not parse: {e}"))?;
            *ran.entry(expected.assignor.clone()).or_default() += 1;
            check_member_order(&expected)?;
            let actual = case.compute()?;
            assert_eq!(actual.id, expected.id);
            run_case(&expected, &actual)
        })();
        if let Err(why) = outcome {
            failures.push(format!("{id}: {why}"));
        }
    }
    let total: usize = ran.values().sum();
    assert!(
        failures.is_empty(),
        "{} of {} vector cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(total, cases.len(), "every case in the file must run");
    let expected_counts: SortedMap<String, usize> = [
        ("range", 11),
        ("roundrobin", 8),
        ("sticky", 15),
        ("cooperative-sticky", 8),
    ]
    .into_iter()
    .map(|(a, n)| (a.to_owned(), n))
    .collect();
    assert_eq!(ran, expected_counts);
}

//! `RoundRobinAssignor` (`clients/src/main/java/org/apache/kafka/clients/consumer/RoundRobinAssignor.java`).

use super::{member_order_cmp, Input};
use crate::command::TopicPartition;
use crate::java::compare_strings;

pub(super) fn assign(input: &Input) -> Vec<Vec<TopicPartition>> {
    let members = &input.members;
    let mut assignment: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
    // Members in HashMap order, sorted (stably) by MemberInfo.
    let mut circle: Vec<usize> = input.order.clone();
    crate::sort::sort_by(&mut circle, |&a, &b| {
        member_order_cmp(&members[a], &members[b])
    });
    if circle.is_empty() {
        return assignment;
    }
    // Every subscribed topic in `String.compareTo` order (a TreeSet), partitions ascending.
    let mut topics: Vec<&str> = members
        .iter()
        .flat_map(|m| m.topics.iter().map(String::as_str))
        .collect();
    crate::sort::sort_by(&mut topics, |a, b| compare_strings(a, b));
    topics.dedup();

    // The CircularIterator: `next` is the position of the member `peek()` returns.
    let mut next = 0usize;
    for topic in topics {
        for partition in 0..input.partition_count(topic) {
            // Skip members not subscribed to the topic. Someone is (the topic came from a
            // subscription), so one lap is enough.
            let mut skipped = 0;
            while !members[circle[next]].topics.iter().any(|t| t == topic) {
                next = (next + 1) % circle.len();
                skipped += 1;
                if skipped > circle.len() {
                    return assignment;
                }
            }
            assignment[circle[next]].push(TopicPartition::new(topic, partition));
            next = (next + 1) % circle.len();
        }
    }
    assignment
}

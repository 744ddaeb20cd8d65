//! What `kafka-consumer-groups.sh` prints (`describe::describe_groups`) and the offsets
//! `--reset-offsets` computes (`describe::reset_offsets_plan`), on hand-built views.
//!
//! Output is shown with a `|` at the end of every line, so the tool's trailing spaces and
//! blank lines are visible. `UPDATE_EXPECT=1 cargo test -p sandbox-core --test describe_groups`
//! refreshes the snapshots.

use expect_test::{expect, Expect};
use sandbox_core::command::{DescribeGroup, GroupsCommand, ResetTo, TopicPartition};
use sandbox_core::describe::{describe_groups, format_reset_plan, reset_offsets_plan};
use sandbox_core::view::{
    ClusterView, GroupOffsetView, GroupStateView, GroupView, MemberView, PartitionView,
    ReplicaView, TopicView,
};

/// A partition led by broker `leader` (or offline), whose leader has this log start and HW.
fn partition(topic: &str, p: i32, leader: Option<i32>, start: i64, hw: i64) -> PartitionView {
    let broker = leader.unwrap_or(0);
    PartitionView {
        topic: topic.to_string(),
        partition: p,
        leader,
        leader_epoch: 0,
        isr: vec![broker],
        replicas: vec![ReplicaView {
            broker,
            is_leader: leader.is_some(),
            in_isr: true,
            log_start_offset: start,
            high_watermark: hw,
            log_end_offset: hw + 2,
            last_stable_offset: hw,
            open_transactions: Vec::new(),
            truncated: 0,
            recent: Vec::new(),
            lost: Vec::new(),
        }],
        partition_epoch: 0,
    }
}

fn topic(name: &str, partitions: Vec<PartitionView>) -> TopicView {
    TopicView {
        name: name.to_string(),
        partitions: partitions.into_iter().map(std::sync::Arc::new).collect(),
        topic_id: String::new(),
        configs: Vec::new(),
    }
}

fn member(id: &str, client: &str, assigned: &[(&str, i32)]) -> MemberView {
    MemberView {
        member_id: id.to_string(),
        client_id: client.to_string(),
        host: format!("/consumer-{client}"),
        assigned: assigned
            .iter()
            .map(|(t, p)| TopicPartition::new(*t, *p))
            .collect(),
        epoch: 4,
        ..MemberView::default()
    }
}

fn offset(topic: &str, p: i32, committed: Option<i64>, end: i64) -> GroupOffsetView {
    GroupOffsetView {
        topic: topic.to_string(),
        partition: p,
        committed,
        log_end_offset: end,
        lag: committed.map(|c| end - c),
        ..GroupOffsetView::default()
    }
}

/// `orders` (3 partitions; partition 2 offline) and `payments` (1 partition), and a group
/// `billing` with two members, a committed offset nobody owns and one not yet committed.
fn cluster() -> ClusterView {
    ClusterView {
        topics: vec![
            topic(
                "orders",
                vec![
                    partition("orders", 0, Some(0), 0, 20),
                    partition("orders", 1, Some(1), 5, 30),
                    partition("orders", 2, None, 0, 9),
                ],
            ),
            topic("payments", vec![partition("payments", 0, Some(2), 2, 8)]),
        ],
        groups: vec![GroupView {
            group_id: "billing".to_string(),
            protocol_type: "classic".to_string(),
            coordinator: Some(1),
            state: GroupStateView::Stable,
            generation: 3,
            assignor: Some("range".to_string()),
            members: vec![
                member(
                    "billing-2-6d1c0e55-1f0a-4c8e-a2d1-9b7e3f4a5c60",
                    "billing-2",
                    &[("orders", 1)],
                ),
                member(
                    "billing-1-0b5d4b8e-3c4f-4f5e-8a51-2f9e1c7d3b11",
                    "billing-1",
                    &[("orders", 2), ("orders", 0)],
                ),
            ],
            offsets: vec![
                offset("orders", 0, Some(12), 20),
                offset("orders", 1, None, 30),
                offset("orders", 2, Some(4), 9),
                offset("payments", 0, Some(6), 8),
            ],
            ..GroupView::default()
        }],
        ..ClusterView::default()
    }
}

/// The cluster with `billing` in another state (and, for Empty, without members).
fn with_state(state: GroupStateView) -> ClusterView {
    let mut view = cluster();
    view.groups[0].state = state;
    if state == GroupStateView::Empty {
        view.groups[0].members.clear();
    }
    view
}

fn show(out: &Result<String, String>) -> String {
    match out {
        Ok(text) => text.lines().map(|l| format!("{l}|\n")).collect(),
        Err(e) => format!("error: {e}"),
    }
}

fn check(view: &ClusterView, command: GroupsCommand, expect: Expect) {
    expect.assert_eq(&show(&describe_groups(view, &command)));
}

fn describe(group: &str, what: DescribeGroup) -> GroupsCommand {
    GroupsCommand::Describe {
        group: group.to_string(),
        what,
    }
}

/// `--topic` values: a topic and maybe some of its partitions.
type Scope<'a> = (&'a str, Option<Vec<i32>>);

fn reset(group: &str, topics: Option<Vec<Scope>>, to: ResetTo) -> GroupsCommand {
    GroupsCommand::ResetOffsets {
        group: group.to_string(),
        topics: topics.map(|ts| ts.into_iter().map(|(t, p)| (t.to_string(), p)).collect()),
        to,
        execute: false,
    }
}

#[test]
fn describe_offsets_sizes_columns_to_the_longest_value() {
    // Members with more partitions first, each one's partitions in order; then the committed
    // offsets nobody owns. A partition without a leader has no log end offset, so no lag.
    check(
        &cluster(),
        describe("billing", DescribeGroup::Offsets),
        expect![[r#"
            |
            GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID                                    HOST                CLIENT-ID|
            billing         orders          0          12              20              8               billing-1-0b5d4b8e-3c4f-4f5e-8a51-2f9e1c7d3b11 /consumer-billing-1 billing-1|
            billing         orders          2          4               -               -               billing-1-0b5d4b8e-3c4f-4f5e-8a51-2f9e1c7d3b11 /consumer-billing-1 billing-1|
            billing         orders          1          -               30              -               billing-2-6d1c0e55-1f0a-4c8e-a2d1-9b7e3f4a5c60 /consumer-billing-2 billing-2|
            billing         payments        0          6               8               2               -                                              -                   -|
        "#]],
    );
}

#[test]
fn describe_offsets_of_long_names_widens_group_and_topic() {
    let mut view = cluster();
    view.groups[0].group_id = "a-group-with-a-long-name".to_string();
    view.groups[0].members.clear();
    view.groups[0].state = GroupStateView::Empty;
    view.groups[0].offsets = vec![offset("payments-eu-west-1", 0, Some(1), 3)];
    check(
        &view,
        describe("a-group-with-a-long-name", DescribeGroup::Offsets),
        expect![[r#"
            |
            Consumer group 'a-group-with-a-long-name' has no active members.|
            |
            GROUP                    TOPIC              PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID|
            a-group-with-a-long-name payments-eu-west-1 0          1               3               2               -               -               -|
        "#]],
    );
}

#[test]
fn describe_an_empty_group() {
    // Committed offsets but no members: the note, then the offsets nobody owns.
    check(
        &with_state(GroupStateView::Empty),
        describe("billing", DescribeGroup::Offsets),
        expect![[r#"
            |
            Consumer group 'billing' has no active members.|
            |
            GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID|
            billing         orders          0          12              20              8               -               -               -|
            billing         orders          2          4               -               -               -               -               -|
            billing         payments        0          6               8               2               -               -               -|
        "#]],
    );
    // Nothing committed either: only the note.
    let mut bare = with_state(GroupStateView::Empty);
    bare.groups[0].offsets.clear();
    check(
        &bare,
        describe("billing", DescribeGroup::Offsets),
        expect![[r#"
            |
            Consumer group 'billing' has no active members.|
        "#]],
    );
    // --members still prints its header.
    check(
        &bare,
        describe("billing", DescribeGroup::Members { verbose: false }),
        expect![[r#"
            |
            Consumer group 'billing' has no active members.|
            |
            GROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     |
        "#]],
    );
}

#[test]
fn describe_a_rebalancing_group_warns() {
    let mut view = with_state(GroupStateView::PreparingRebalance);
    view.groups[0].members.truncate(1);
    view.groups[0].offsets.truncate(2);
    check(
        &view,
        describe("billing", DescribeGroup::Offsets),
        expect![[r#"
            |
            Warning: Consumer group 'billing' is rebalancing.|
            |
            GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID                                    HOST                CLIENT-ID|
            billing         orders          1          -               30              -               billing-2-6d1c0e55-1f0a-4c8e-a2d1-9b7e3f4a5c60 /consumer-billing-2 billing-2|
            billing         orders          0          12              20              8               -                                              -                   -|
        "#]],
    );
}

#[test]
fn describe_an_unknown_or_dead_group_fails() {
    for what in [
        DescribeGroup::Offsets,
        DescribeGroup::Members { verbose: true },
        DescribeGroup::State,
    ] {
        check(
            &cluster(),
            describe("nope", what),
            expect!["error: Error: Consumer group 'nope' does not exist."],
        );
        check(
            &with_state(GroupStateView::Dead),
            describe("billing", what),
            expect!["error: Error: Consumer group 'billing' does not exist."],
        );
    }
}

#[test]
fn describe_without_a_coordinator_fails() {
    let mut view = cluster();
    view.groups[0].coordinator = None;
    check(
        &view,
        describe("billing", DescribeGroup::State),
        expect!["error: Error: Executing consumer group command failed due to org.apache.kafka.common.errors.CoordinatorNotAvailableException: The coordinator is not available."],
    );
}

#[test]
fn describe_members() {
    check(
        &cluster(),
        describe("billing", DescribeGroup::Members { verbose: false }),
        expect![[r#"
            |
            GROUP           CONSUMER-ID                                    HOST                CLIENT-ID       #PARTITIONS     |
            billing         billing-2-6d1c0e55-1f0a-4c8e-a2d1-9b7e3f4a5c60 /consumer-billing-2 billing-2       1               |
            billing         billing-1-0b5d4b8e-3c4f-4f5e-8a51-2f9e1c7d3b11 /consumer-billing-1 billing-1       2               |
        "#]],
    );
    // A classic group's describe answer has no epochs or target assignment.
    check(
        &cluster(),
        describe("billing", DescribeGroup::Members { verbose: true }),
        expect![[r#"
            |
            GROUP           CONSUMER-ID                                    HOST                CLIENT-ID       #PARTITIONS     CURRENT-EPOCH   CURRENT-ASSIGNMENT   TARGET-EPOCH    TARGET-ASSIGNMENT   |
            billing         billing-2-6d1c0e55-1f0a-4c8e-a2d1-9b7e3f4a5c60 /consumer-billing-2 billing-2       1               -               orders:1             -               -                   |
            billing         billing-1-0b5d4b8e-3c4f-4f5e-8a51-2f9e1c7d3b11 /consumer-billing-1 billing-1       2               -               orders:0,2           -               -                   |
        "#]],
    );
}

#[test]
fn describe_members_of_a_consumer_protocol_group_with_static_members() {
    let mut view = cluster();
    let g = &mut view.groups[0];
    g.protocol_type = "consumer".to_string();
    g.assignor = Some("uniform".to_string());
    g.generation = 7;
    g.members = vec![
        MemberView {
            group_instance_id: Some("billing-static-instance-1".to_string()),
            ..member(
                "m1",
                "billing-1",
                &[("payments", 0), ("orders", 2), ("orders", 0), ("orders", 1)],
            )
        },
        member("m2", "billing-2", &[]),
    ];
    check(
        &view,
        describe("billing", DescribeGroup::Members { verbose: true }),
        expect![[r#"
            |
            GROUP           CONSUMER-ID     GROUP-INSTANCE-ID         HOST                CLIENT-ID       #PARTITIONS     CURRENT-EPOCH   CURRENT-ASSIGNMENT      TARGET-EPOCH    TARGET-ASSIGNMENT      |
            billing         m1              billing-static-instance-1 /consumer-billing-1 billing-1       4               4               orders:0,1,2;payments:0 7               orders:0,1,2;payments:0|
            billing         m2                                        /consumer-billing-2 billing-2       0               4               -                       7               -                      |
        "#]],
    );
}

#[test]
fn describe_state() {
    check(
        &cluster(),
        describe("billing", DescribeGroup::State),
        expect![[r#"
            |
            GROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS|
            billing         broker-1:9092  (1)        range                Stable               2|
        "#]],
    );
    let mut empty = with_state(GroupStateView::Empty);
    empty.groups[0].assignor = None;
    check(
        &empty,
        describe("billing", DescribeGroup::State),
        expect![[r#"
            |
            Consumer group 'billing' has no active members.|
            |
            GROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS|
            billing         broker-1:9092  (1)        -                    Empty                0|
        "#]],
    );
}

#[test]
fn list_groups() {
    let mut view = cluster();
    let mut other = view.groups[0].clone();
    other.group_id = "audit".to_string();
    other.state = GroupStateView::Empty;
    let mut dead = other.clone();
    dead.group_id = "gone".to_string();
    dead.state = GroupStateView::Dead;
    view.groups.extend([other, dead]);
    check(
        &view,
        GroupsCommand::List,
        expect![[r#"
            billing|
            audit|
        "#]],
    );
    check(&ClusterView::default(), GroupsCommand::List, expect![""]);
}

#[test]
fn delete_groups() {
    let delete = |g: &str| GroupsCommand::Delete {
        group: g.to_string(),
    };
    check(
        &with_state(GroupStateView::Empty),
        delete("billing"),
        expect![[r#"
            Deletion of requested consumer groups ('billing') was successful.|
        "#]],
    );
    check(
        &cluster(),
        delete("billing"),
        expect![[r#"
            error: Error: Deletion of some consumer groups failed:
            * Group 'billing' could not be deleted due to: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty."#]],
    );
    check(
        &cluster(),
        delete("nope"),
        expect![[r#"
            error: Error: Deletion of some consumer groups failed:
            * Group 'nope' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist."#]],
    );
}

fn plan(view: &ClusterView, topics: Option<Vec<Scope>>, to: ResetTo) -> String {
    let topics: Option<Vec<(String, Option<Vec<i32>>)>> =
        topics.map(|ts| ts.into_iter().map(|(t, p)| (t.to_string(), p)).collect());
    match reset_offsets_plan(view, "billing", topics.as_deref(), to) {
        Ok(plan) => plan
            .iter()
            .map(|(tp, o)| format!("{tp}={o}"))
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn reset_plan_moves_offsets_within_each_partition() {
    let mut view = with_state(GroupStateView::Empty);
    // orders-2 gets a leader, so every partition can be reset.
    view.topics[0].partitions[2] = std::sync::Arc::new(partition("orders", 2, Some(2), 3, 9));
    let all = || Some(vec![("orders", None), ("payments", None)]);
    // Earliest is each leader's log start, latest its high watermark.
    expect!["orders-0=0 orders-1=5 orders-2=3 payments-0=2"].assert_eq(&plan(
        &view,
        all(),
        ResetTo::Earliest,
    ));
    expect!["orders-0=20 orders-1=30 orders-2=9 payments-0=8"].assert_eq(&plan(
        &view,
        all(),
        ResetTo::Latest,
    ));
    // An offset outside [log start, HW] is moved to the nearer end.
    expect!["orders-0=7 orders-1=7 orders-2=7 payments-0=7"].assert_eq(&plan(
        &view,
        all(),
        ResetTo::Offset(7),
    ));
    expect!["orders-0=4 orders-1=5 orders-2=4 payments-0=4"].assert_eq(&plan(
        &view,
        Some(vec![
            ("orders", Some(vec![2, 0])),
            ("orders", Some(vec![1])),
            ("payments", None),
        ]),
        ResetTo::Offset(4),
    ));
    expect!["orders-0=20 orders-1=30 orders-2=9 payments-0=8"].assert_eq(&plan(
        &view,
        all(),
        ResetTo::Offset(i64::MAX),
    ));
    // Shifting starts from the committed offset and is kept in range too.
    expect!["orders-0=15 payments-0=8"].assert_eq(&plan(
        &view,
        Some(vec![("orders", Some(vec![0])), ("payments", None)]),
        ResetTo::ShiftBy(3),
    ));
    expect!["orders-0=0 orders-2=3 payments-0=2"].assert_eq(&plan(
        &view,
        None,
        ResetTo::ShiftBy(-100),
    ));
    expect!["orders-0=20 orders-2=9 payments-0=8"].assert_eq(&plan(
        &view,
        None,
        ResetTo::ShiftBy(i64::MAX),
    ));
    // Without a committed offset there is nothing to shift from.
    expect!["error: Cannot shift offset for partition orders-1 since there is no current committed offset"]
        .assert_eq(&plan(&view, all(), ResetTo::ShiftBy(1)));
}

#[test]
fn reset_plan_is_refused_while_the_group_is_active() {
    expect!["error: Error: Assignments can only be reset if the group 'billing' is inactive, but the current state is Stable."]
        .assert_eq(&plan(&cluster(), None, ResetTo::Earliest));
    expect!["error: Error: Assignments can only be reset if the group 'billing' is inactive, but the current state is CompletingRebalance."]
        .assert_eq(&plan(&with_state(GroupStateView::CompletingRebalance), None, ResetTo::Earliest));
    // A group the cluster does not know can be reset, as with Kafka's tool.
    let mut unknown = cluster();
    unknown.groups.clear();
    expect!["payments-0=2"].assert_eq(&plan(
        &unknown,
        Some(vec![("payments", None)]),
        ResetTo::Earliest,
    ));
    expect![""].assert_eq(&plan(&unknown, None, ResetTo::Earliest));
}

#[test]
fn reset_plan_checks_the_partitions() {
    let view = with_state(GroupStateView::Empty);
    expect![[r#"error: Error: Executing consumer group command failed due to The partitions "orders-5,orders-7" do not exist"#]]
        .assert_eq(&plan(&view, Some(vec![("orders", Some(vec![7, 0, 5]))]), ResetTo::Earliest));
    expect!["error: Error: Executing consumer group command failed due to org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition."]
        .assert_eq(&plan(&view, Some(vec![("nope", None)]), ResetTo::Earliest));
    expect![[r#"error: Error: Executing consumer group command failed due to The partitions "orders-2" have no leader"#]]
        .assert_eq(&plan(&view, Some(vec![("orders", None)]), ResetTo::Latest));
}

#[test]
fn reset_plan_prints_like_the_tool() {
    let mut view = with_state(GroupStateView::Empty);
    view.topics[0].partitions[2] = std::sync::Arc::new(partition("orders", 2, Some(2), 3, 9));
    check(
        &view,
        reset("billing", Some(vec![("orders", None)]), ResetTo::Earliest),
        expect![[r#"
            |
            GROUP           TOPIC           PARTITION  NEW-OFFSET|
            billing         orders          0          0|
            billing         orders          1          5|
            billing         orders          2          3|
        "#]],
    );
    check(
        &cluster(),
        reset("billing", None, ResetTo::Latest),
        expect!["error: Error: Assignments can only be reset if the group 'billing' is inactive, but the current state is Stable."],
    );
    let long = vec![(TopicPartition::new("payments-eu-west-1", 12), 1234)];
    expect![[r#"
        |
        GROUP                    TOPIC              PARTITION  NEW-OFFSET|
        a-group-with-a-long-name payments-eu-west-1 12         1234|
    "#]]
    .assert_eq(&show(&Ok(format_reset_plan(
        "a-group-with-a-long-name",
        &long,
    ))));
    expect![[r#"
        |
        GROUP           TOPIC           PARTITION  NEW-OFFSET|
    "#]]
    .assert_eq(&show(&Ok(format_reset_plan("g", &[]))));
}

//! Unit tests of the assignor API. The client-side assignors are checked case by case
//! against Kafka's vectors in `core/tests/assignor_vectors.rs`; the server-side cases below
//! come from Kafka's group-coordinator tests (trunk 1eb7644349cb), named in each test.

use super::*;

fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition::new(topic, partition)
}

fn member(id: &str, topics: &[&str]) -> MemberSubscription {
    MemberSubscription {
        member_id: id.to_owned(),
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        ..MemberSubscription::default()
    }
}

#[test]
fn assignor_names_and_class_names_round_trip() {
    for assignor in Assignor::ALL {
        assert_eq!(Assignor::from_name(assignor.name()), Ok(assignor));
        assert_eq!(Assignor::from_name(assignor.class_name()), Ok(assignor));
        assert_eq!(assignor.to_string(), assignor.name());
    }
    assert_eq!(
        Assignor::from_name("org.apache.kafka.clients.consumer.CooperativeStickyAssignor"),
        Ok(Assignor::CooperativeSticky)
    );
    assert_eq!(
        Assignor::from_name("RoundRobinAssignor"),
        Ok(Assignor::RoundRobin)
    );
    let err = Assignor::from_name("uniform").unwrap_err();
    assert_eq!(
        err,
        AssignError::UnknownAssignor {
            name: "uniform".into()
        }
    );
    assert!(err.to_string().contains("cooperative-sticky"));
    assert_eq!(
        ServerAssignor::from_name("uniform"),
        Ok(ServerAssignor::Uniform)
    );
    assert_eq!(
        ServerAssignor::from_name("org.apache.kafka.coordinator.group.assignor.RangeAssignor"),
        Ok(ServerAssignor::Range)
    );
    assert!(ServerAssignor::from_name("sticky").is_err());
}

#[test]
fn only_cooperative_sticky_supports_cooperative() {
    for assignor in Assignor::ALL {
        assert!(assignor.supports(RebalanceProtocol::Eager));
        assert_eq!(
            assignor.supports(RebalanceProtocol::Cooperative),
            assignor == Assignor::CooperativeSticky
        );
    }
}

#[test]
fn rebalance_protocol_is_the_highest_every_assignor_supports() {
    use Assignor::*;
    // Kafka's default partition.assignment.strategy.
    assert_eq!(
        rebalance_protocol(&[Range, CooperativeSticky]),
        RebalanceProtocol::Eager
    );
    assert_eq!(
        rebalance_protocol(&[CooperativeSticky]),
        RebalanceProtocol::Cooperative
    );
    assert_eq!(
        rebalance_protocol(&[CooperativeSticky, Sticky]),
        RebalanceProtocol::Eager
    );
    assert_eq!(rebalance_protocol(&[RoundRobin]), RebalanceProtocol::Eager);
    assert_eq!(rebalance_protocol(&[]), RebalanceProtocol::Eager);
    assert!(RebalanceProtocol::Eager < RebalanceProtocol::Cooperative);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let metadata = ClusterMetadata::new().with_topic("t", 3);
    let twice = [member("a", &["t"]), member("a", &["t"])];
    for assignor in Assignor::ALL {
        assert_eq!(
            assign(assignor, &metadata, &twice),
            Err(AssignError::DuplicateMember {
                member_id: "a".into()
            })
        );
    }
    let negative = ClusterMetadata::new().with_topic("t", -1);
    assert!(matches!(
        assign(Assignor::Range, &negative, &[member("a", &["t"])]),
        Err(AssignError::NegativePartitionCount { .. })
    ));
    let huge = ClusterMetadata::new().with_topic("t", i32::MAX);
    assert!(matches!(
        assign(Assignor::Sticky, &huge, &[member("a", &["t"])]),
        Err(AssignError::TooManyPartitions { .. })
    ));
    let mut bad_id = ClusterMetadata::new().with_topic("t", 1);
    bad_id.topics.get_mut("t").unwrap().topic_id = Some("not-an-id".into());
    assert!(matches!(
        server_assign(ServerAssignor::Uniform, &bad_id, &[]),
        Err(AssignError::InvalidTopicId { .. })
    ));
}

#[test]
fn odd_input_is_handled_without_panicking() {
    let metadata = ClusterMetadata::new()
        .with_topic("t", 3)
        .with_topic("u", 2)
        .with_topic("empty", 0);
    let mut weird = member("b", &["t", "t", "missing", "empty"]);
    weird.owned_partitions = vec![
        tp("t", 7),
        tp("t", -1),
        tp("t", 0),
        tp("t", 0),
        tp("gone", 1),
    ];
    weird.generation = Some(i32::MAX);
    let mut other = member("a", &["u", "t"]);
    other.owned_partitions = vec![tp("t", 0), tp("u", 5)];
    other.generation = Some(i32::MIN);
    other.rack = Some(String::new());
    for assignor in Assignor::ALL {
        for members in [
            vec![],
            vec![weird.clone()],
            vec![weird.clone(), other.clone()],
        ] {
            // Whatever Kafka would make of it, no panic.
            let _ = assign(assignor, &metadata, &members);
            let _ = assign_cooperative(assignor, &metadata, &members, 1);
        }
        assert_eq!(
            assign(assignor, &metadata, &[]).unwrap().members,
            SortedMap::new()
        );
    }
    let server_members = [
        ServerMember {
            member_id: "a".into(),
            topics: vec!["t".into(), "missing".into()],
            assignment: vec![tp("t", 9), tp("t", 0), tp("t", 0), tp("gone", 0)],
            ..ServerMember::default()
        },
        ServerMember {
            member_id: "b".into(),
            topics: vec!["u".into()],
            assignment: vec![tp("t", 0)],
            ..ServerMember::default()
        },
    ];
    for kind in [ServerAssignor::Uniform, ServerAssignor::Range] {
        let _ = server_assign(kind, &metadata, &server_members);
        assert_eq!(server_assign(kind, &metadata, &[]), Ok(SortedMap::new()));
    }
}

#[test]
fn cooperative_rounds_hand_over_moved_partitions_in_the_follow_up() {
    // CooperativeStickyAssignorTest.testReassignmentWithRandomSubscriptionsAndChanges-like:
    // consumer3 joins a group where consumer1 and consumer2 own everything.
    let metadata = ClusterMetadata::new()
        .with_topic("topic1", 2)
        .with_topic("topic2", 2);
    let mut c1 = member("consumer1", &["topic1", "topic2"]);
    c1.owned_partitions = vec![tp("topic1", 0), tp("topic2", 0)];
    c1.generation = Some(1);
    let mut c2 = member("consumer2", &["topic1", "topic2"]);
    c2.owned_partitions = vec![tp("topic1", 1), tp("topic2", 1)];
    c2.generation = Some(1);
    let mut c3 = member("consumer3", &["topic1", "topic2"]);
    c3.generation = Some(1);
    let rounds =
        assign_cooperative(Assignor::CooperativeSticky, &metadata, &[c1, c2, c3], 2).unwrap();
    assert_eq!(rounds.followup_rebalances, 1);
    assert_eq!(rounds.first_round.members["consumer3"], vec![]);
    assert_eq!(
        rounds.first_round.partitions_transferring_ownership,
        Some([(tp("topic2", 0), "consumer3".to_owned())].into())
    );
    assert_eq!(
        rounds.final_round.members["consumer1"],
        vec![tp("topic1", 0)]
    );
    assert_eq!(
        rounds.final_round.members["consumer3"],
        vec![tp("topic2", 0)]
    );

    // Eager sticky gives the partition straight away.
    let eager = assign(Assignor::Sticky, &metadata, &{
        let mut members = vec![
            member("consumer1", &["topic1", "topic2"]),
            member("consumer2", &["topic1", "topic2"]),
            member("consumer3", &["topic1", "topic2"]),
        ];
        members[0].owned_partitions = vec![tp("topic1", 0), tp("topic2", 0)];
        members[1].owned_partitions = vec![tp("topic1", 1), tp("topic2", 1)];
        for m in &mut members {
            m.generation = Some(1);
        }
        members
    })
    .unwrap();
    assert_eq!(eager.members["consumer3"], vec![tp("topic2", 0)]);
}

#[test]
fn range_and_roundrobin_do_not_track_transfers() {
    let metadata = ClusterMetadata::new().with_topic("t", 3);
    let members = [member("a", &["t"]), member("b", &["t"])];
    for assignor in [Assignor::Range, Assignor::RoundRobin] {
        let result = assign(assignor, &metadata, &members).unwrap();
        assert_eq!(result.partitions_transferring_ownership, None);
    }
    let range = assign(Assignor::Range, &metadata, &members).unwrap();
    assert_eq!(range.members["a"], vec![tp("t", 0), tp("t", 1)]);
    assert_eq!(range.members["b"], vec![tp("t", 2)]);
}

// ---------------------------------------------------------------------------------------
// Server-side assignors, from Kafka's group-coordinator tests.
// ---------------------------------------------------------------------------------------

/// The topic ids of Kafka's uniform assignor tests.
const TOPIC1: &str = "T1-A4s3VTwiI5CTbEp6POw";
const TOPIC2: &str = "T2-B4s3VTwiI5YHbPp6YUe";
const TOPIC3: &str = "T3-CU8fVTLCz5YMkLoDQsa";
const TOPIC4: &str = "T4-Tw9fVTLCz5HbPp6YQsa";

fn server_metadata(topics: &[(&str, &str, i32)]) -> ClusterMetadata {
    ClusterMetadata {
        topics: topics
            .iter()
            .map(|&(name, id, partitions)| {
                (
                    name.to_owned(),
                    TopicMetadata {
                        partitions,
                        topic_id: Some(id.to_owned()),
                        ..TopicMetadata::default()
                    },
                )
            })
            .collect(),
    }
}

fn server_member(id: &str, topics: &[&str], assignment: Partitions) -> ServerMember {
    ServerMember {
        member_id: id.to_owned(),
        instance_id: None,
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        assignment: assignment
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(move |&p| tp(t, p)))
            .collect(),
    }
}

/// Topic name -> partitions.
type Partitions<'a> = &'a [(&'a str, &'a [i32])];

fn expected(entries: &[(&str, Partitions)]) -> SortedMap<String, Vec<TopicPartition>> {
    entries
        .iter()
        .map(|(m, assignment)| {
            let mut partitions: Vec<TopicPartition> = assignment
                .iter()
                .flat_map(|(t, ps)| ps.iter().map(move |&p| tp(t, p)))
                .collect();
            partitions.sort_by(java_order::cmp_topic_partition);
            ((*m).to_owned(), partitions)
        })
        .collect()
}

#[test]
fn uniform_homogeneous_first_assignment_follows_the_topic_id_hash_order() {
    // OptimizedUniformAssignmentBuilderTest.testFirstAssignmentTwoMembersTwoTopicsNoMemberRacks:
    // topic3 comes first in the HashSet<Uuid>, so member A (3 partitions) takes both of it.
    let metadata = server_metadata(&[("topic1", TOPIC1, 3), ("topic3", TOPIC3, 2)]);
    let members = [
        server_member("A", &["topic1", "topic3"], &[]),
        server_member("B", &["topic1", "topic3"], &[]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0]), ("topic3", &[0, 1])]),
            ("B", &[("topic1", &[1, 2])]),
        ]))
    );
}

#[test]
fn uniform_homogeneous_more_members_than_partitions() {
    // OptimizedUniformAssignmentBuilderTest.testFirstAssignmentNumMembersGreaterThanTotalNumPartitions.
    let metadata = server_metadata(&[("topic3", TOPIC3, 2)]);
    let members = [
        server_member("A", &["topic3"], &[]),
        server_member("B", &["topic3"], &[]),
        server_member("C", &["topic3"], &[]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic3", &[0])]),
            ("B", &[("topic3", &[1])]),
            ("C", &[]),
        ]))
    );
}

#[test]
fn uniform_homogeneous_keeps_owned_partitions_up_to_the_quota() {
    // OptimizedUniformAssignmentBuilderTest.testReassignmentForTwoMembersTwoTopicsGivenUnbalancedPrevAssignment
    // (the current assignments are LinkedHashMaps there: topic1 before topic2).
    let metadata = server_metadata(&[("topic1", TOPIC1, 3), ("topic2", TOPIC2, 3)]);
    let members = [
        server_member(
            "A",
            &["topic1", "topic2"],
            &[("topic1", &[0, 1]), ("topic2", &[0, 1])],
        ),
        server_member(
            "B",
            &["topic1", "topic2"],
            &[("topic1", &[2]), ("topic2", &[2])],
        ),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0, 1]), ("topic2", &[0])]),
            ("B", &[("topic1", &[2]), ("topic2", &[1, 2])]),
        ]))
    );
}

#[test]
fn uniform_homogeneous_partitions_added() {
    // OptimizedUniformAssignmentBuilderTest.testReassignmentWhenPartitionsAreAddedForTwoMembersTwoTopics:
    // the new partitions of topic2 come first (HashSet<Uuid> order), A takes three of them.
    let metadata = server_metadata(&[("topic1", TOPIC1, 6), ("topic2", TOPIC2, 5)]);
    let members = [
        server_member(
            "A",
            &["topic1", "topic2"],
            &[("topic1", &[0, 2]), ("topic2", &[0])],
        ),
        server_member(
            "B",
            &["topic1", "topic2"],
            &[("topic1", &[1]), ("topic2", &[1, 2])],
        ),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0, 2, 3]), ("topic2", &[0, 3, 4])]),
            ("B", &[("topic1", &[1, 4, 5]), ("topic2", &[1, 2])]),
        ]))
    );
}

#[test]
fn uniform_homogeneous_member_added() {
    // OptimizedUniformAssignmentBuilderTest.testReassignmentWhenOneMemberAddedAfterInitialAssignmentWithTwoMembersTwoTopics.
    let metadata = server_metadata(&[("topic1", TOPIC1, 3), ("topic2", TOPIC2, 3)]);
    let members = [
        server_member(
            "A",
            &["topic1", "topic2"],
            &[("topic1", &[0, 2]), ("topic2", &[0])],
        ),
        server_member(
            "B",
            &["topic1", "topic2"],
            &[("topic1", &[1]), ("topic2", &[1, 2])],
        ),
        server_member("C", &["topic1", "topic2"], &[]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0, 2])]),
            ("B", &[("topic1", &[1]), ("topic2", &[1])]),
            ("C", &[("topic2", &[0, 2])]),
        ]))
    );
}

#[test]
fn uniform_homogeneous_member_removed_and_subscription_removed() {
    // OptimizedUniformAssignmentBuilderTest.testReassignmentWhenOneMemberRemovedAfterInitialAssignmentWithThreeMembersTwoTopics.
    let metadata = server_metadata(&[("topic1", TOPIC1, 3), ("topic2", TOPIC2, 3)]);
    let members = [
        server_member(
            "A",
            &["topic1", "topic2"],
            &[("topic1", &[0]), ("topic2", &[0])],
        ),
        server_member(
            "B",
            &["topic1", "topic2"],
            &[("topic1", &[1]), ("topic2", &[1])],
        ),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0]), ("topic2", &[0, 2])]),
            ("B", &[("topic1", &[1, 2]), ("topic2", &[1])]),
        ]))
    );
    // OptimizedUniformAssignmentBuilderTest.testReassignmentWhenOneSubscriptionRemovedAfterInitialAssignmentWithTwoMembersTwoTopics.
    let metadata = server_metadata(&[("topic1", TOPIC1, 2), ("topic2", TOPIC2, 2)]);
    let members = [
        server_member("A", &["topic2"], &[("topic1", &[0]), ("topic2", &[0])]),
        server_member("B", &["topic2"], &[("topic1", &[1]), ("topic2", &[1])]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic2", &[0])]),
            ("B", &[("topic2", &[1])]),
        ]))
    );
}

#[test]
fn uniform_without_subscriptions_assigns_nothing() {
    // OptimizedUniformAssignmentBuilderTest.testOneMemberNoTopicSubscription and
    // testOneMemberSubscribedToNonexistentTopic (Kafka's coordinator never resolves a topic
    // that does not exist, so here it is simply not subscribed).
    let metadata = server_metadata(&[("topic1", TOPIC1, 3)]);
    for topics in [&[][..], &["topic2"][..]] {
        let members = [server_member("A", topics, &[])];
        assert_eq!(
            server_assign(ServerAssignor::Uniform, &metadata, &members),
            Ok(expected(&[("A", &[])]))
        );
    }
}

#[test]
fn uniform_heterogeneous_first_assignment() {
    // UniformHeterogeneousAssignmentBuilderTest.testFirstAssignmentTwoMembersTwoTopics.
    let metadata = server_metadata(&[("topic1", TOPIC1, 3), ("topic3", TOPIC3, 6)]);
    let members = [
        server_member("A", &["topic1", "topic3"], &[]),
        server_member("B", &["topic3"], &[]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0, 1, 2]), ("topic3", &[4])]),
            ("B", &[("topic3", &[0, 1, 2, 3, 5])]),
        ]))
    );
    // UniformHeterogeneousAssignmentBuilderTest.testFirstAssignmentNumMembersGreaterThanTotalNumPartitions.
    let metadata = server_metadata(&[("topic3", TOPIC3, 1), ("topic1", TOPIC1, 2)]);
    let members = [
        server_member("A", &["topic3"], &[]),
        server_member("B", &["topic3"], &[]),
        server_member("C", &["topic1"], &[]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic3", &[0])]),
            ("B", &[]),
            ("C", &[("topic1", &[0, 1])]),
        ]))
    );
}

#[test]
fn uniform_heterogeneous_rebalances_an_unbalanced_assignment() {
    // UniformHeterogeneousAssignmentBuilderTest.testReassignmentForTwoMembersThreeTopicsGivenUnbalancedPrevAssignment.
    let metadata = server_metadata(&[
        ("topic1", TOPIC1, 6),
        ("topic2", TOPIC2, 4),
        ("topic3", TOPIC3, 4),
    ]);
    let members = [
        server_member("A", &["topic1"], &[("topic1", &[0, 1, 2])]),
        server_member(
            "B",
            &["topic1", "topic2"],
            &[("topic1", &[3]), ("topic2", &[0])],
        ),
        server_member(
            "C",
            &["topic1", "topic2", "topic3"],
            &[
                ("topic1", &[4, 5]),
                ("topic2", &[1, 2, 3]),
                ("topic3", &[0, 1, 2, 3]),
            ],
        ),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0, 1, 2, 5])]),
            ("B", &[("topic1", &[3]), ("topic2", &[0, 1, 2, 3])]),
            ("C", &[("topic1", &[4]), ("topic3", &[0, 1, 2, 3])]),
        ]))
    );
}

#[test]
fn uniform_heterogeneous_partitions_and_members_added() {
    // UniformHeterogeneousAssignmentBuilderTest.testReassignmentWhenPartitionsAreAddedForTwoMembers.
    let metadata = server_metadata(&[
        ("topic1", TOPIC1, 6),
        ("topic2", TOPIC2, 5),
        ("topic3", TOPIC3, 3),
        ("topic4", TOPIC4, 3),
    ]);
    let members = [
        server_member(
            "A",
            &["topic1", "topic3"],
            &[("topic1", &[0, 1, 2, 3]), ("topic3", &[0, 1])],
        ),
        server_member(
            "B",
            &["topic1", "topic2", "topic3", "topic4"],
            &[("topic2", &[0, 1, 2]), ("topic4", &[0, 1, 2])],
        ),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            (
                "A",
                &[("topic1", &[0, 1, 2, 3, 4, 5]), ("topic3", &[0, 1, 2])]
            ),
            ("B", &[("topic2", &[0, 1, 2, 3, 4]), ("topic4", &[0, 1, 2])]),
        ]))
    );
    // UniformHeterogeneousAssignmentBuilderTest.testReassignmentWhenOneMemberAddedAndPartitionsAddedTwoMembersTwoTopics.
    let metadata = server_metadata(&[("topic1", TOPIC1, 6), ("topic2", TOPIC2, 7)]);
    let members = [
        server_member("A", &["topic1"], &[("topic1", &[0, 2]), ("topic2", &[0])]),
        server_member(
            "B",
            &["topic1", "topic2"],
            &[("topic1", &[1]), ("topic2", &[1, 2])],
        ),
        server_member("C", &["topic1", "topic2"], &[]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Uniform, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0, 2, 3, 4, 5])]),
            ("B", &[("topic1", &[1]), ("topic2", &[1, 2, 6])]),
            ("C", &[("topic2", &[0, 3, 4, 5])]),
        ]))
    );
}

#[test]
fn server_range_homogeneous_is_co_partitioned() {
    // RangeAssignorTest.testFirstAssignmentTwoMembersTwoTopicsSameSubscriptions and
    // testFirstAssignmentNumMembersGreaterThanNumPartitions (random topic ids there: the
    // range assignor does not depend on them).
    let metadata = ClusterMetadata::new()
        .with_topic("topic1", 3)
        .with_topic("topic3", 2);
    let members = [
        server_member("A", &["topic1", "topic3"], &[]),
        server_member("B", &["topic1", "topic3"], &[]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Range, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0, 1]), ("topic3", &[0])]),
            ("B", &[("topic1", &[2]), ("topic3", &[1])]),
        ]))
    );
    let members = [
        server_member("A", &["topic1", "topic3"], &[]),
        server_member("B", &["topic1", "topic3"], &[]),
        server_member("C", &["topic1", "topic3"], &[]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Range, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0]), ("topic3", &[0])]),
            ("B", &[("topic1", &[1]), ("topic3", &[1])]),
            ("C", &[("topic1", &[2])]),
        ]))
    );
}

#[test]
fn server_range_heterogeneous() {
    // RangeAssignorTest.testFirstAssignmentThreeMembersThreeTopicsDifferentSubscriptions.
    let metadata = ClusterMetadata::new()
        .with_topic("topic1", 3)
        .with_topic("topic2", 3)
        .with_topic("topic3", 2);
    let members = [
        server_member("A", &["topic1", "topic2"], &[]),
        server_member("B", &["topic3"], &[]),
        server_member("C", &["topic2", "topic3"], &[]),
    ];
    assert_eq!(
        server_assign(ServerAssignor::Range, &metadata, &members),
        Ok(expected(&[
            ("A", &[("topic1", &[0, 1, 2]), ("topic2", &[0, 1])]),
            ("B", &[("topic3", &[0])]),
            ("C", &[("topic2", &[2]), ("topic3", &[1])]),
        ]))
    );
}

#[test]
fn server_range_static_members_keep_their_ranges() {
    // RangeAssignorTest.testMixedStaticMembership: member A rejoins as A1 with the same
    // instance id and gets the same partitions; static members sort first.
    let metadata = ClusterMetadata::new().with_topic("topic1", 5);
    let with_instance = |id: &str, instance: Option<&str>| ServerMember {
        instance_id: instance.map(str::to_owned),
        ..server_member(id, &["topic1"], &[])
    };
    let before = server_assign(
        ServerAssignor::Range,
        &metadata,
        &[
            with_instance("A", Some("instanceA")),
            with_instance("B", None),
            with_instance("C", Some("instanceC")),
        ],
    )
    .unwrap();
    let after = server_assign(
        ServerAssignor::Range,
        &metadata,
        &[
            with_instance("B", None),
            with_instance("C", Some("instanceC")),
            with_instance("memberA1", Some("instanceA")),
        ],
    )
    .unwrap();
    assert_eq!(before["A"], after["memberA1"]);
    assert_eq!(before["B"], after["B"]);
    assert_eq!(before["C"], after["C"]);
    assert_eq!(before["A"], vec![tp("topic1", 0), tp("topic1", 1)]);
    assert_eq!(before["B"], vec![tp("topic1", 4)]);
}

/// A small deterministic generator for the property test below.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Random groups of any shape (shared and stale claims, partitions that do not exist,
/// duplicate topics, every encoding): an answer or Kafka's exception, never a panic.
#[test]
fn random_odd_groups_never_panic() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    for _ in 0..300 {
        let mut metadata = ClusterMetadata::new();
        for t in 0..1 + rng.below(3) {
            metadata = metadata.with_topic(format!("t{t}"), rng.below(6) as i32);
            let racks = (0..rng.below(6))
                .map(|_| vec![["a", "b", ""][rng.below(3)].to_owned()])
                .collect();
            metadata
                .topics
                .get_mut(&format!("t{t}"))
                .unwrap()
                .replica_racks = racks;
        }
        let members: Vec<MemberSubscription> = (0..rng.below(6))
            .map(|i| MemberSubscription {
                member_id: ["Aa", "BB", "c", "", "AaAa", "BBBB"][i].to_owned(),
                group_instance_id: (rng.below(2) == 0).then(|| "same".to_owned()),
                rack: (rng.below(2) == 0).then(|| ["a", "b", ""][rng.below(3)].to_owned()),
                topics: (0..rng.below(4))
                    .map(|_| format!("t{}", rng.below(4)))
                    .collect(),
                owned_partitions: (0..rng.below(6))
                    .map(|_| tp(&format!("t{}", rng.below(4)), rng.below(8) as i32 - 1))
                    .collect(),
                generation: [None, Some(-1), Some(0), Some(1), Some(i32::MAX)][rng.below(5)],
            })
            .collect();
        let encodings: Vec<SubscriptionEncoding> = members
            .iter()
            .map(|_| {
                [
                    SubscriptionEncoding::Plain,
                    SubscriptionEncoding::V1,
                    SubscriptionEncoding::V2,
                ][rng.below(3)]
            })
            .collect();
        for assignor in Assignor::ALL {
            for result in [
                assign_cooperative_encoded(
                    assignor,
                    &metadata,
                    &members,
                    &encodings,
                    1,
                    Options::default(),
                )
                .map(|_| ()),
                assign_encoded(
                    assignor,
                    &metadata,
                    &members,
                    &encodings,
                    &mut Options::default(),
                )
                .map(|_| ()),
            ] {
                assert!(matches!(
                    result,
                    Ok(()) | Err(AssignError::Kafka { .. }) | Err(AssignError::NotSettling { .. })
                ));
            }
        }
        let server_members: Vec<ServerMember> = members
            .iter()
            .map(|m| ServerMember {
                member_id: m.member_id.clone(),
                instance_id: m.group_instance_id.clone(),
                topics: m.topics.clone(),
                assignment: m.owned_partitions.clone(),
            })
            .collect();
        for kind in [ServerAssignor::Uniform, ServerAssignor::Range] {
            let result = server_assign(kind, &metadata, &server_members);
            assert!(matches!(result, Ok(_) | Err(AssignError::Kafka { .. })));
        }
    }
}

/// Random groups shaped as real ones are (one previous owner per partition, one generation):
/// every assignor hands out each subscribed partition once, to a subscriber, and the sticky
/// ones balance members with the same subscription. Odd shapes are in
/// `odd_input_is_handled_without_panicking`; bit-for-bit agreement with Kafka is the vector
/// test's job.
#[test]
fn random_groups_get_valid_assignments() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for round in 0..300 {
        let topic_count = 1 + rng.below(4);
        let mut metadata = ClusterMetadata::new();
        let mut all: Vec<TopicPartition> = Vec::new();
        for t in 0..topic_count {
            let name = format!("t{t}");
            let partitions = rng.below(7) as i32;
            metadata = metadata.with_topic(name.clone(), partitions);
            if rng.below(3) == 0 {
                let racks = (0..partitions)
                    .map(|_| vec![["a", "b", "c"][rng.below(3)].to_owned()])
                    .collect();
                metadata.topics.get_mut(&name).unwrap().replica_racks = racks;
            }
            all.extend((0..partitions).map(|p| tp(&name, p)));
        }
        let member_count = 1 + rng.below(5);
        let same_topics = rng.below(2) == 0;
        let generation = rng.below(4) as i32;
        let mut taken: SortedSet<TopicPartition> = SortedSet::new();
        let members: Vec<MemberSubscription> = (0..member_count)
            .map(|i| {
                let mut topics: Vec<String> = (0..topic_count)
                    .filter(|_| same_topics || rng.below(2) == 0)
                    .map(|t| format!("t{t}"))
                    .collect();
                if topics.is_empty() {
                    topics.push("t0".into());
                }
                // As in a real group: each partition has one previous owner, which still
                // subscribes to its topic, and everyone reports the same generation.
                let owned: Vec<TopicPartition> = all
                    .iter()
                    .filter(|p| topics.iter().any(|t| **t == *p.topic) && !taken.contains(*p))
                    .filter(|_| rng.below(3) == 0)
                    .cloned()
                    .collect();
                taken.extend(owned.iter().cloned());
                MemberSubscription {
                    member_id: format!("consumer-{}", rng.below(1000) * 10 + i),
                    group_instance_id: (rng.below(3) == 0).then(|| format!("i{i}")),
                    rack: (rng.below(2) == 0).then(|| ["a", "b", "c"][rng.below(3)].to_owned()),
                    topics,
                    generation: (!owned.is_empty() || rng.below(2) == 0).then_some(generation),
                    owned_partitions: owned,
                }
            })
            .collect();
        let subscribed = |m: &str, t: &str| {
            members
                .iter()
                .any(|x| x.member_id == m && x.topics.iter().any(|y| y == t))
        };
        let wanted: Vec<&TopicPartition> = all
            .iter()
            .filter(|p| {
                members
                    .iter()
                    .any(|m| m.topics.iter().any(|t| **t == *p.topic))
            })
            .collect();
        for assignor in Assignor::ALL {
            let result = assign_cooperative(assignor, &metadata, &members, generation + 1)
                .unwrap_or_else(|e| panic!("round {round} {assignor}: {e}"));
            let check = |assignment: &Assignment, complete: bool| {
                let mut seen = SortedSet::new();
                for (m, partitions) in &assignment.members {
                    for p in partitions {
                        assert!(
                            seen.insert(p.clone()),
                            "round {round} {assignor}: {p} twice"
                        );
                        assert!(
                            subscribed(m, &p.topic),
                            "round {round} {assignor}: {p} to {m}"
                        );
                    }
                }
                if complete {
                    assert_eq!(seen.len(), wanted.len(), "round {round} {assignor}");
                }
            };
            check(&result.first_round, assignor != Assignor::CooperativeSticky);
            check(&result.final_round, true);
            if same_topics && assignor != Assignor::Range {
                let sizes: Vec<usize> = result.final_round.members.values().map(Vec::len).collect();
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(
                    max - min <= 1,
                    "round {round} {assignor}: unbalanced {sizes:?}"
                );
            }
        }
        let server_members: Vec<ServerMember> = members
            .iter()
            .map(|m| ServerMember {
                member_id: m.member_id.clone(),
                instance_id: m.group_instance_id.clone(),
                topics: m.topics.clone(),
                assignment: Vec::new(),
            })
            .collect();
        for kind in [ServerAssignor::Uniform, ServerAssignor::Range] {
            let targets = server_assign(kind, &metadata, &server_members)
                .unwrap_or_else(|e| panic!("round {round} {kind}: {e}"));
            // Assign again from that target, as the coordinator does on the next epoch.
            let next_members: Vec<ServerMember> = server_members
                .iter()
                .map(|m| ServerMember {
                    assignment: targets[&m.member_id].clone(),
                    ..m.clone()
                })
                .collect();
            let next = server_assign(kind, &metadata, &next_members).unwrap();
            for assignment in [&targets, &next] {
                let mut seen = SortedSet::new();
                for (m, partitions) in assignment {
                    for p in partitions {
                        assert!(seen.insert(p.clone()), "round {round} {kind}: {p} twice");
                        assert!(subscribed(m, &p.topic), "round {round} {kind}: {p} to {m}");
                    }
                }
                assert_eq!(seen.len(), wanted.len(), "round {round} {kind}");
            }
            if kind == ServerAssignor::Uniform {
                assert_eq!(targets, next, "round {round}: uniform is stable");
            }
        }
    }
}

//! Kafka configs the simulation honours, under Kafka's names and with Kafka's defaults
//! (`ServerConfigs`, `ReplicationConfigs`, `TopicConfig`, `QuorumConfig` in apache/kafka).

/// Where a config can be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A topic config (a broker-wide default of the same meaning may exist).
    Topic,
    /// A broker config, settable cluster-wide with `--entity-default` where Kafka allows it.
    Broker,
    /// A consumer client config (`ConsumerConfig`), set when the consumer starts.
    Consumer,
    /// A producer client config (`ProducerConfig`), set when the producer starts.
    Producer,
}

/// One config: its name, default, scope, whether it can change on a running cluster, and what
/// it means to a learner.
#[derive(Clone, Copy, Debug)]
pub struct ConfigDef {
    pub name: &'static str,
    pub default: &'static str,
    pub scope: Scope,
    pub dynamic: bool,
    pub meaning: &'static str,
}

pub const CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        name: "min.insync.replicas",
        default: "1",
        scope: Scope::Topic,
        dynamic: true,
        meaning: "With acks=all, a write needs at least this many in-sync replicas; below it the \
                  leader refuses with NOT_ENOUGH_REPLICAS and the HW stops moving.",
    },
    ConfigDef {
        name: "unclean.leader.election.enable",
        default: "false",
        scope: Scope::Topic,
        dynamic: true,
        meaning: "Lets an out-of-sync replica become leader when no in-sync one is alive: the \
                  partition comes back sooner, but records only the old leader had are lost.",
    },
    ConfigDef {
        name: "replica.lag.time.max.ms",
        default: "30000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "A follower that has not caught up to the leader's log end within this time is \
                  removed from the ISR.",
    },
    ConfigDef {
        name: "replica.fetch.wait.max.ms",
        default: "500",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How long the leader holds a follower's fetch when there is nothing new.",
    },
    ConfigDef {
        name: "replica.fetch.max.bytes",
        default: "1048576",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "The most bytes a follower fetches per partition in one request.",
    },
    ConfigDef {
        name: "broker.heartbeat.interval.ms",
        default: "2000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How often a broker heartbeats to the active controller.",
    },
    ConfigDef {
        name: "broker.session.timeout.ms",
        default: "9000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "A broker whose heartbeats stop for this long is fenced: it leaves every ISR and \
                  loses its leaderships.",
    },
    ConfigDef {
        name: "auto.leader.rebalance.enable",
        default: "true",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "Periodically moves leadership back to each partition's preferred replica.",
    },
    ConfigDef {
        name: "leader.imbalance.check.interval.seconds",
        default: "300",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How often the controller looks for partitions led by a non-preferred replica.",
    },
    ConfigDef {
        name: "num.partitions",
        default: "1",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "The partitions of a topic created without --partitions (and of a topic a \
                  producer or consumer creates by naming it, where that is allowed).",
    },
    ConfigDef {
        name: "default.replication.factor",
        default: "1",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "The replicas of each partition of a topic created without \
                  --replication-factor. At 1, such a topic has no copy to fail over to.",
    },
    ConfigDef {
        name: "request.timeout.ms",
        default: "30000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How long a client waits for a response (and how long an acks=all produce may \
                  wait for the HW) before REQUEST_TIMED_OUT.",
    },
    // Group coordinator (`GroupCoordinatorConfig`).
    ConfigDef {
        name: "offsets.topic.num.partitions",
        default: "50",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "Partitions of __consumer_offsets. A group's coordinator is the leader of \
                  partition abs(groupId.hashCode) % this number.",
    },
    ConfigDef {
        name: "offsets.topic.replication.factor",
        default: "3",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "Replicas of each __consumer_offsets partition. Until that many brokers are up, \
                  the topic cannot be created and FindCoordinator answers COORDINATOR_NOT_AVAILABLE.",
    },
    // Transaction coordinator (`TransactionLogConfig`, `TransactionStateManagerConfig`).
    ConfigDef {
        name: "transaction.state.log.num.partitions",
        default: "50",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "Partitions of __transaction_state. A transactional.id's coordinator is the \
                  leader of partition abs(transactionalId.hashCode) % this number.",
    },
    ConfigDef {
        name: "transaction.state.log.replication.factor",
        default: "3",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "Replicas of each __transaction_state partition; until that many brokers are \
                  up, transactional producers cannot find a coordinator.",
    },
    ConfigDef {
        name: "transaction.state.log.min.isr",
        default: "2",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "min.insync.replicas of __transaction_state: a transaction's state change needs \
                  this many in-sync replicas to be written.",
    },
    ConfigDef {
        name: "transaction.max.timeout.ms",
        default: "900000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "The largest transaction.timeout.ms a producer may ask for; a larger one fails \
                  InitProducerId with INVALID_TRANSACTION_TIMEOUT.",
    },
    ConfigDef {
        name: "transaction.abort.timed.out.transaction.cleanup.interval.ms",
        default: "10000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How often the coordinator looks for transactions open longer than their \
                  transaction.timeout.ms, to abort them (fencing the producer's epoch).",
    },
    ConfigDef {
        name: "transaction.partition.verification.enable",
        default: "true",
        scope: Scope::Broker,
        dynamic: true,
        meaning: "Before a producer's first transactional batch on a partition, the leader asks \
                  the transaction coordinator whether the partition is in the producer's \
                  ongoing transaction (KIP-890). Off, a late batch of a finished transaction \
                  is appended anyway and leaves a hanging transaction that holds the LSO back.",
    },
    ConfigDef {
        name: "group.initial.rebalance.delay.ms",
        default: "3000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How long the first rebalance of an empty group waits for more members to join, \
                  so a group starting up rebalances once instead of once per member.",
    },
    ConfigDef {
        name: "group.min.session.timeout.ms",
        default: "6000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "The smallest session.timeout.ms a consumer may ask for (else \
                  INVALID_SESSION_TIMEOUT).",
    },
    ConfigDef {
        name: "group.max.session.timeout.ms",
        default: "1800000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "The largest session.timeout.ms a consumer may ask for (else \
                  INVALID_SESSION_TIMEOUT).",
    },
    ConfigDef {
        name: "group.consumer.session.timeout.ms",
        default: "45000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "Consumer protocol (KIP-848): a member whose heartbeats stop for this long is \
                  fenced and its partitions are reassigned.",
    },
    ConfigDef {
        name: "group.consumer.heartbeat.interval.ms",
        default: "5000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "Consumer protocol (KIP-848): how often members heartbeat; the coordinator \
                  tells them.",
    },
    ConfigDef {
        name: "group.consumer.assignors",
        default: "uniform,range",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "Consumer protocol (KIP-848): the server-side assignors members may pick with \
                  group.remote.assignor; the first one is used when they pick none.",
    },
];

/// Consumer configs (`ConsumerConfig` in apache/kafka) with Kafka 4's defaults, plus the
/// sandbox's own knobs (named `sandbox.*`) for what an application does between polls.
pub const CONSUMER_CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        name: "group.protocol",
        default: "classic",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "classic: JoinGroup / SyncGroup rebalances with a client-side assignor; \
                  consumer: the KIP-848 protocol, where the coordinator assigns and members \
                  reconcile one partition at a time.",
    },
    ConfigDef {
        name: "partition.assignment.strategy",
        default: "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "Classic protocol: the assignors this consumer supports, in preference order. \
                  The group uses the cooperative protocol only if every listed assignor \
                  supports it, so the default rebalances eagerly with range.",
    },
    ConfigDef {
        name: "group.remote.assignor",
        default: "",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "Consumer protocol: which server-side assignor the coordinator runs (uniform or \
                  range). Unset, the coordinator uses the first of its group.consumer.assignors.",
    },
    ConfigDef {
        name: "group.instance.id",
        default: "",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "Static membership: a restart within session.timeout.ms keeps the member's \
                  partitions and causes no rebalance.",
    },
    ConfigDef {
        name: "session.timeout.ms",
        default: "45000",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "Classic protocol: the coordinator removes a member whose heartbeats stop for \
                  this long, and rebalances.",
    },
    ConfigDef {
        name: "heartbeat.interval.ms",
        default: "3000",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "Classic protocol: how often the consumer's heartbeat thread heartbeats.",
    },
    ConfigDef {
        name: "max.poll.interval.ms",
        default: "300000",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "If the application takes longer than this between polls, the consumer leaves \
                  the group (its partitions go to others); it is also the rebalance timeout.",
    },
    ConfigDef {
        name: "max.poll.records",
        default: "500",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "The most records one poll() hands to the application.",
    },
    ConfigDef {
        name: "fetch.min.bytes",
        default: "1",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "The broker holds a fetch until this many bytes are available (or \
                  fetch.max.wait.ms passes).",
    },
    ConfigDef {
        name: "fetch.max.wait.ms",
        default: "500",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "How long the broker holds a fetch when fewer than fetch.min.bytes are ready.",
    },
    ConfigDef {
        name: "fetch.max.bytes",
        default: "52428800",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "The most bytes one fetch response carries over all partitions.",
    },
    ConfigDef {
        name: "max.partition.fetch.bytes",
        default: "1048576",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "The most bytes one fetch response carries for one partition.",
    },
    ConfigDef {
        name: "auto.offset.reset",
        default: "latest",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "Where to start without a committed offset: earliest (log start), latest (the \
                  HW: only new records), or none (fail with NoOffsetForPartitionException).",
    },
    ConfigDef {
        name: "enable.auto.commit",
        default: "true",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "Commit the positions of the records handed out by poll() every \
                  auto.commit.interval.ms: a crash between commits replays what came after.",
    },
    ConfigDef {
        name: "auto.commit.interval.ms",
        default: "5000",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "How often auto-commit commits.",
    },
    ConfigDef {
        name: "isolation.level",
        default: "read_uncommitted",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "read_committed reads only below the last stable offset and skips aborted \
                  transactions; read_uncommitted reads up to the HW.",
    },
    ConfigDef {
        name: "client.rack",
        default: "",
        scope: Scope::Consumer,
        dynamic: false,
        meaning: "The consumer's rack, for rack-aware assignment (KIP-881).",
    },
    ConfigDef {
        name: "sandbox.processing.ms.per.record",
        default: "0",
        scope: Scope::Consumer,
        dynamic: true,
        meaning: "Sandbox: how long the application works on each record. Slow processing makes \
                  lag grow, and past max.poll.interval.ms the consumer leaves the group.",
    },
    ConfigDef {
        name: "sandbox.commit.after.poll",
        default: "none",
        scope: Scope::Consumer,
        dynamic: true,
        meaning: "Sandbox: what the application does after processing each poll's records: \
                  none, sync (commitSync) or async (commitAsync). Use with \
                  enable.auto.commit=false for manual commits.",
    },
];

/// Producer configs (`ProducerConfig`), set when a producer starts.
pub const PRODUCER_CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        name: "acks",
        default: "all",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "all: the leader answers once every in-sync replica has the batch (and there \
                  are at least min.insync.replicas of them); 1: once the leader has it; 0: no \
                  answer at all.",
    },
    ConfigDef {
        name: "enable.idempotence",
        default: "true",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "Batches carry a producer id, epoch and sequence; a leader that already has a \
                  retried batch answers with its original offsets instead of writing it twice. \
                  Needs acks=all and max.in.flight.requests.per.connection <= 5.",
    },
    ConfigDef {
        name: "transactional.id",
        default: "",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "Makes the producer transactional: initTransactions() fences every older \
                  instance with the same id, and writes to many partitions commit or abort \
                  together.",
    },
    ConfigDef {
        name: "transaction.timeout.ms",
        default: "60000",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "How long a transaction may stay open before the coordinator aborts it and \
                  fences the producer.",
    },
    ConfigDef {
        name: "batch.size",
        default: "16384",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "Bytes per batch: records for one partition gather in a batch until it is full \
                  (or linger.ms passes); a full batch is sent at once.",
    },
    ConfigDef {
        name: "max.request.size",
        default: "1048576",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "Bytes per Produce request: the first batch of every partition the same broker \
                  leads goes in one request, up to this size.",
    },
    ConfigDef {
        name: "linger.ms",
        default: "5",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "How long a batch waits for more records before it is sent (5 ms since Kafka \
                  4.0, KIP-1030). More lingering, fuller batches, fewer requests.",
    },
    ConfigDef {
        name: "compression.type",
        default: "none",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "none, gzip, snappy, lz4 or zstd. The sandbox models only the effect on size: \
                  a compressed batch takes fewer bytes, so more records fit in batch.size.",
    },
    ConfigDef {
        name: "max.in.flight.requests.per.connection",
        default: "5",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "Requests sent to one broker and not answered yet. Above 1 without \
                  idempotence, a retried batch can land after a later one: reordering.",
    },
    ConfigDef {
        name: "retries",
        default: "2147483647",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "How many times a failed batch is sent again (within delivery.timeout.ms). \
                  Each retry of a batch that did arrive writes a duplicate unless idempotent.",
    },
    ConfigDef {
        name: "retry.backoff.ms",
        default: "100",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "The wait before the first retry, doubling up to retry.backoff.max.ms.",
    },
    ConfigDef {
        name: "retry.backoff.max.ms",
        default: "1000",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "The longest wait between retries (exponential backoff, KIP-580).",
    },
    ConfigDef {
        name: "request.timeout.ms",
        default: "30000",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "How long the producer waits for a broker's answer before it gives up on the \
                  request and retries the batch (the broker may have written it all the same).",
    },
    ConfigDef {
        name: "delivery.timeout.ms",
        default: "120000",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "The whole time a record may take from send() to success or failure, retries \
                  included; after it the record fails with a TimeoutException.",
    },
    ConfigDef {
        name: "metadata.max.age.ms",
        default: "300000",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "How often the producer refreshes its metadata even when nothing failed: until \
                  then it keeps hashing keys over the partition count it knows.",
    },
    ConfigDef {
        name: "partitioner.ignore.keys",
        default: "false",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "true: keys are not hashed; every record goes to the sticky partition.",
    },
    ConfigDef {
        name: "partitioner.adaptive.partitioning.enable",
        default: "true",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "The sticky partitioner picks the next partition weighted against brokers with \
                  longer queues, so fewer records go to a slow broker.",
    },
    ConfigDef {
        name: "partitioner.availability.timeout.ms",
        default: "0",
        scope: Scope::Producer,
        dynamic: false,
        meaning: "If above 0, a partition whose broker has not taken a batch for this long is \
                  skipped by the sticky partitioner.",
    },
];

/// A producer config by name.
pub fn producer_config(name: &str) -> Option<&'static ConfigDef> {
    PRODUCER_CONFIGS.iter().find(|c| c.name == name)
}

/// A consumer config by name.
pub fn consumer_config(name: &str) -> Option<&'static ConfigDef> {
    CONSUMER_CONFIGS.iter().find(|c| c.name == name)
}

/// The allowed values of a config that takes one of a few words, if it is one.
fn choices(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "group.protocol" => &["classic", "consumer"],
        "group.remote.assignor" => &["uniform", "range"],
        "auto.offset.reset" => &["earliest", "latest", "none"],
        "isolation.level" => &["read_uncommitted", "read_committed"],
        "sandbox.commit.after.poll" => &["none", "sync", "async"],
        "acks" => &["all", "-1", "1", "0"],
        "compression.type" => &["none", "gzip", "snappy", "lz4", "zstd"],
        _ => return None,
    })
}

/// Configs whose value is free text (ids, racks, lists checked elsewhere).
fn is_text(name: &str) -> bool {
    matches!(
        name,
        "group.instance.id"
            | "client.rack"
            | "partition.assignment.strategy"
            | "group.consumer.assignors"
            | "transactional.id"
    )
}

/// Checks a value the way Kafka's `ConfigDef` would for this config's type: booleans are
/// `true` or `false`, numbers are whole and in range (`min.insync.replicas` at least 1).
pub fn validate(def: &ConfigDef, value: &str) -> Result<(), String> {
    let name = def.name;
    if let Some(allowed) = choices(name) {
        return if allowed.contains(&value) {
            Ok(())
        } else {
            Err(format!(
                "Invalid value {value} for configuration {name}: String must be one of: {}",
                allowed.join(", ")
            ))
        };
    }
    if is_text(name) {
        if name == "group.consumer.assignors" {
            for item in value.split(',') {
                crate::assignor::ServerAssignor::from_name(item.trim())
                    .map_err(|e| format!("Invalid value {value} for configuration {name}: {e}"))?;
            }
        }
        if name == "partition.assignment.strategy" {
            for item in value.split(',') {
                crate::assignor::Assignor::from_name(item.trim())
                    .map_err(|e| format!("Invalid value {value} for configuration {name}: {e}"))?;
            }
        }
        return Ok(());
    }
    if def.default == "true" || def.default == "false" {
        return match value {
            "true" | "false" => Ok(()),
            _ => Err(format!(
                "Invalid value {value} for configuration {name}: Expected value to be either true or false"
            )),
        };
    }
    let Ok(number) = value.parse::<i64>() else {
        return Err(format!(
            "Invalid value {value} for configuration {name}: Not a number of type INT"
        ));
    };
    let min = if name == "min.insync.replicas" { 1 } else { 0 };
    if number < min {
        return Err(format!(
            "Invalid value {value} for configuration {name}: Value must be at least {min}"
        ));
    }
    Ok(())
}

/// The default of a known config, or "" for an unknown name.
pub fn default_value(name: &str) -> &'static str {
    CONFIGS
        .iter()
        .find(|c| c.name == name)
        .map_or("", |c| c.default)
}

pub fn find(name: &str) -> Option<&'static ConfigDef> {
    CONFIGS.iter().find(|c| c.name == name)
}

/// A client's configs after a redeploy: the ones it ran with, each of `changes` replacing its
/// own (or added), and the words for what changed (`""` when nothing did).
pub fn redeployed(
    old: &[(String, String)],
    changes: &[(String, String)],
) -> (Vec<(String, String)>, String) {
    let mut merged = old.to_vec();
    for (key, value) in changes {
        match merged.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.clone(),
            None => merged.push((key.clone(), value.clone())),
        }
    }
    let said = if changes.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = changes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(", its configs changed: {}", list.join(", "))
    };
    (merged, said)
}

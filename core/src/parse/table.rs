//! The command table: every command, its flags and arguments, their value kinds and
//! help. The parser, completion and the reference all read it.

use super::build::{
    build_alter_configs, build_alter_topic, build_back, build_cluster, build_consume,
    build_consumer_crash, build_consumer_restart, build_consumer_set, build_consumer_start,
    build_consumer_stop, build_crash, build_create_topic, build_delete_records,
    build_describe_configs, build_describe_quorum, build_describe_topics, build_dump_log,
    build_elect_leaders, build_fork, build_groups_delete, build_groups_describe, build_groups_list,
    build_groups_reset, build_heal, build_list_topics, build_partition, build_pause_fetch,
    build_produce, build_producer_abort, build_producer_begin, build_producer_commit,
    build_producer_crash, build_producer_flush, build_producer_restart, build_producer_send,
    build_producer_send_offsets, build_producer_start, build_producer_stop, build_restart,
    build_resume_fetch, build_run, build_seek, build_shutdown, build_slow, build_step,
};
use super::spec::{arg, flag, switch, ArgSpec, Args, CommandSpec, FlagSpec, Parsed, ValueKind};
use super::{
    ParseError, MAX_LATENCY_MS, MAX_PARTITIONS, MAX_PARTITION_INDEX, MAX_PRODUCE_COUNT,
    MAX_REPLICATION_FACTOR, MAX_RUN_MS, MAX_STEPS,
};

pub(super) const HEADER: &str = "Script header";
pub(super) const TOOLS: &str = "Kafka tools";
pub(super) const CLIENTS: &str = "Clients";
pub(super) const FAULTS: &str = "Faults";
pub(super) const TIME: &str = "Time";
pub(super) const TRAVEL: &str = "Time travel";

pub(super) const BOOTSTRAP_SERVER: FlagSpec = flag(
    "--bootstrap-server",
    "HOST:PORT",
    ValueKind::Ignored,
    "Accepted and ignored: there is one simulated cluster.",
)
.hidden();
pub(super) const BOOTSTRAP_CONTROLLER: FlagSpec = flag(
    "--bootstrap-controller",
    "HOST:PORT",
    ValueKind::Ignored,
    "Accepted and ignored: there is one simulated cluster.",
)
.hidden();

pub(super) const TOPICS_ALIASES: &[&str] = &["kafka-topics"];
pub(super) const GROUPS_ALIASES: &[&str] = &["kafka-consumer-groups"];

pub(super) const GROUP_FLAG: FlagSpec = flag(
    "--group",
    "GROUP",
    ValueKind::Name,
    "The consumer group id.",
)
.required();

pub(super) const CONSUMER_NAME: ArgSpec = arg(
    "NAME",
    ValueKind::Name,
    "The consumer's name, which is also its `client.id`.",
);
pub(super) const PRODUCER_NAME: ArgSpec = arg(
    "NAME",
    ValueKind::Name,
    "The producer's name, which is also its `client.id`.",
);

/// `producer flush|begin|commit|abort|stop|crash|restart NAME`: one spec each.
pub(super) const fn producer_action(
    mode: &'static str,
    summary: &'static str,
    usage: &'static str,
    example: &'static str,
    build: fn(&Args) -> Result<Parsed, ParseError>,
) -> CommandSpec {
    CommandSpec {
        name: "producer",
        aliases: &[],
        mode: Some(mode),
        group: CLIENTS,
        summary,
        usage,
        args: &[PRODUCER_NAME],
        flags: &[],
        example,
        build,
    }
}

pub(super) const CONFIGS_ALIASES: &[&str] = &["kafka-configs"];

pub(super) const ACKS: &[&str] = &["all", "-1", "1", "0"];
pub(super) const ELECTION_TYPES: &[&str] = &["PREFERRED", "UNCLEAN"];
pub(super) const ENTITY_TYPES: &[&str] = &["topics", "brokers"];
pub(super) const EVENTS: &[&str] = &crate::command::EventFilter::WORDS;

pub(super) const ENTITY_FLAGS: [FlagSpec; 6] = [
    flag(
        "--entity-type",
        "TYPE",
        ValueKind::Choice(ENTITY_TYPES),
        "Kind of entity whose configs these are.",
    ),
    flag(
        "--entity-name",
        "NAME",
        ValueKind::Text,
        "The topic name, or the broker id.",
    ),
    switch(
        "--entity-default",
        "The cluster-wide default broker configs (brokers only).",
    ),
    flag(
        "--topic",
        "TOPIC",
        ValueKind::Topic,
        "Shorthand for `--entity-type topics --entity-name TOPIC`.",
    ),
    flag(
        "--broker",
        "ID",
        ValueKind::Node,
        "Shorthand for `--entity-type brokers --entity-name ID`.",
    ),
    switch(
        "--broker-defaults",
        "Shorthand for `--entity-type brokers --entity-default`.",
    ),
];

pub(super) const NODE_ARG: ArgSpec = arg(
    "NODE",
    ValueKind::Node,
    "A broker (0, 1, ...) or controller (100, 101, ...).",
);

pub(super) static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "cluster",
        aliases: &[],
        mode: None,
        group: HEADER,
        summary: "The cluster a script starts from. Only as the first command of a script; \
                  without it a script gets the defaults below.",
        usage: "cluster [--brokers N] [--controllers N] [--racks RACK,RACK,...] [--seed N]",
        args: &[],
        flags: &[
            flag(
                "--brokers",
                "N",
                ValueKind::Int { min: 1, max: 64 },
                "Number of brokers, with ids 0, 1, 2 and so on.",
            )
            .default("3"),
            flag(
                "--controllers",
                "N",
                ValueKind::Int { min: 1, max: 9 },
                "Number of KRaft controllers (voters), with ids 100, 101 and so on.",
            )
            .default("3"),
            flag(
                "--racks",
                "RACK,RACK,...",
                ValueKind::Words,
                "`broker.rack` of each broker in id order, one per broker. No racks without it.",
            ),
            flag(
                "--seed",
                "N",
                ValueKind::Seed,
                "Seed of the simulation's random choices: the same seed and commands give the \
                 same run.",
            )
            .default("1"),
        ],
        example: "cluster --brokers 3 --controllers 3 --racks a,b,c --seed 7",
        build: build_cluster,
    },
    CommandSpec {
        name: "kafka-topics.sh",
        aliases: TOPICS_ALIASES,
        mode: Some("--create"),
        group: TOOLS,
        summary: "Create a topic.",
        usage: "kafka-topics.sh --create --topic TOPIC ([--partitions N] [--replication-factor R] \
                | --replica-assignment LIST) [--config KEY=VALUE]...",
        args: &[],
        flags: &[
            flag(
                "--topic",
                "TOPIC",
                ValueKind::Topic,
                "Name of the new topic: up to 249 letters, digits, `.`, `_` and `-`.",
            )
            .required(),
            flag(
                "--partitions",
                "N",
                ValueKind::Int {
                    min: 1,
                    max: MAX_PARTITIONS,
                },
                "Number of partitions (default: the cluster's `num.partitions`, 1).",
            ),
            flag(
                "--replication-factor",
                "R",
                ValueKind::Int {
                    min: 1,
                    max: MAX_REPLICATION_FACTOR,
                },
                "Replicas of each partition (default: the cluster's \
                 `default.replication.factor`, 1).",
            ),
            flag(
                "--config",
                "KEY=VALUE",
                ValueKind::Config,
                "A topic config, such as `min.insync.replicas=2`; repeat the flag for more.",
            )
            .repeatable(),
            flag(
                "--replica-assignment",
                "LIST",
                ValueKind::Assignment,
                "The replicas of each partition, first one the preferred leader: partitions \
                 separated by `,`, broker ids by `:` (`0:1:2,1:2:0`). The partition count and \
                 replication factor follow from it.",
            ),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-topics.sh --create --topic orders --partitions 3 --replication-factor 3 \
                  --config min.insync.replicas=2",
        build: build_create_topic,
    },
    CommandSpec {
        name: "kafka-topics.sh",
        aliases: TOPICS_ALIASES,
        mode: Some("--alter"),
        group: TOOLS,
        summary: "Add partitions to a topic. Records keep their partition, but from then on \
                  a key hashes over the new count, so some keys go to another partition.",
        usage: "kafka-topics.sh --alter --topic TOPIC --partitions N",
        args: &[],
        flags: &[
            flag("--topic", "TOPIC", ValueKind::Topic, "The topic to grow.").required(),
            flag(
                "--partitions",
                "N",
                ValueKind::Int {
                    min: 1,
                    max: MAX_PARTITIONS,
                },
                "The new number of partitions, more than it has.",
            )
            .required(),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-topics.sh --alter --topic orders --partitions 4",
        build: build_alter_topic,
    },
    CommandSpec {
        name: "kafka-topics.sh",
        aliases: TOPICS_ALIASES,
        mode: Some("--describe"),
        group: TOOLS,
        summary: "Show each partition's leader, replicas and ISR.",
        usage: "kafka-topics.sh --describe [--topic TOPIC]",
        args: &[],
        flags: &[
            flag(
                "--topic",
                "TOPIC",
                ValueKind::Topic,
                "Only this topic; every topic without it.",
            ),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-topics.sh --describe --topic orders",
        build: build_describe_topics,
    },
    CommandSpec {
        name: "kafka-topics.sh",
        aliases: TOPICS_ALIASES,
        mode: Some("--list"),
        group: TOOLS,
        summary: "List the topics' names.",
        usage: "kafka-topics.sh --list",
        args: &[],
        flags: &[BOOTSTRAP_SERVER],
        example: "kafka-topics.sh --list",
        build: build_list_topics,
    },
    CommandSpec {
        name: "kafka-configs.sh",
        aliases: CONFIGS_ALIASES,
        mode: Some("--alter"),
        group: TOOLS,
        summary: "Set or remove dynamic configs of a topic, a broker, or the cluster-wide broker \
                  default.",
        usage: "kafka-configs.sh --alter (--entity-type topics|brokers (--entity-name NAME | \
                --entity-default) | --topic TOPIC | --broker ID | --broker-defaults) \
                [--add-config KEY=VALUE,...] [--delete-config KEY,...]",
        args: &[],
        flags: &[
            ENTITY_FLAGS[0],
            ENTITY_FLAGS[1],
            ENTITY_FLAGS[2],
            ENTITY_FLAGS[3],
            ENTITY_FLAGS[4],
            ENTITY_FLAGS[5],
            flag(
                "--add-config",
                "KEY=VALUE,...",
                ValueKind::ConfigList,
                "Configs to set. A value containing commas goes in brackets: \
                 `cleanup.policy=[compact,delete]`.",
            ),
            flag(
                "--delete-config",
                "KEY,...",
                ValueKind::NameList,
                "Configs to remove, so that they fall back to their defaults.",
            ),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-configs.sh --alter --entity-type topics --entity-name orders --add-config \
                  min.insync.replicas=2",
        build: build_alter_configs,
    },
    CommandSpec {
        name: "kafka-configs.sh",
        aliases: CONFIGS_ALIASES,
        mode: Some("--describe"),
        group: TOOLS,
        summary: "Show the dynamic configs of a topic, a broker, or the cluster-wide broker \
                  default.",
        usage: "kafka-configs.sh --describe (--entity-type topics|brokers (--entity-name NAME | \
                --entity-default) | --topic TOPIC | --broker ID | --broker-defaults)",
        args: &[],
        flags: &[
            ENTITY_FLAGS[0],
            ENTITY_FLAGS[1],
            ENTITY_FLAGS[2],
            ENTITY_FLAGS[3],
            ENTITY_FLAGS[4],
            ENTITY_FLAGS[5],
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-configs.sh --describe --entity-type brokers --entity-name 1",
        build: build_describe_configs,
    },
    CommandSpec {
        name: "kafka-leader-election.sh",
        aliases: &["kafka-leader-election"],
        mode: None,
        group: TOOLS,
        summary: "Elect leaders: move leadership back to the preferred replica, or let a replica \
                  outside the ISR take over.",
        usage: "kafka-leader-election.sh --election-type PREFERRED|UNCLEAN (--topic TOPIC \
                --partition P | --all-topic-partitions)",
        args: &[],
        flags: &[
            flag(
                "--election-type",
                "TYPE",
                ValueKind::Choice(ELECTION_TYPES),
                "`PREFERRED`: make the first replica the leader if it is in the ISR. \
                 `UNCLEAN`: elect a replica outside the ISR when no ISR member is alive \
                 (acknowledged records can be lost).",
            )
            .required(),
            flag(
                "--topic",
                "TOPIC",
                ValueKind::Topic,
                "The topic, with --partition.",
            ),
            flag(
                "--partition",
                "P",
                ValueKind::Int {
                    min: 0,
                    max: MAX_PARTITION_INDEX,
                },
                "The partition, with --topic.",
            ),
            switch("--all-topic-partitions", "Every partition of every topic."),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-leader-election.sh --election-type PREFERRED --all-topic-partitions",
        build: build_elect_leaders,
    },
    CommandSpec {
        name: "kafka-metadata-quorum.sh",
        aliases: &["kafka-metadata-quorum"],
        mode: Some("describe"),
        group: TOOLS,
        summary: "Describe the KRaft metadata quorum: its leader and voters, or each replica's \
                  progress.",
        usage: "kafka-metadata-quorum.sh describe --status|--replication",
        args: &[],
        flags: &[
            switch(
                "--status",
                "Leader, epoch, high watermark, voters and observers of the metadata log.",
            ),
            switch(
                "--replication",
                "Log end offset and lag of each voter and observer.",
            ),
            BOOTSTRAP_SERVER,
            BOOTSTRAP_CONTROLLER,
        ],
        example: "kafka-metadata-quorum.sh describe --status",
        build: build_describe_quorum,
    },
    CommandSpec {
        name: "kafka-delete-records.sh",
        aliases: &["kafka-delete-records"],
        mode: None,
        group: TOOLS,
        summary: "Delete every record below an offset: each partition's log start offset (its low \
                  watermark) moves up to it on the leader, then on the followers at their next \
                  fetch.",
        usage: "kafka-delete-records.sh --offset-json-file JSON",
        args: &[],
        flags: &[
            flag(
                "--offset-json-file",
                "JSON",
                ValueKind::Text,
                "The offset file's content, inline: \
                 `{\"partitions\":[{\"topic\":\"orders\",\"partition\":0,\"offset\":3}],\"version\":1}` \
                 (offset -1: the high watermark).",
            )
            .required(),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-delete-records.sh --offset-json-file '{\"partitions\":[{\"topic\":\"orders\",\"partition\":0,\"offset\":3}],\"version\":1}'",
        build: build_delete_records,
    },
    CommandSpec {
        name: "kafka-dump-log.sh",
        aliases: &["kafka-dump-log"],
        mode: None,
        group: TOOLS,
        summary: "Print a replica's record batches: offsets, producer id and epoch, sequences, \
                  transactional or not, and transaction markers.",
        usage: "kafka-dump-log.sh --files PARTITION [--broker ID] [--print-data-log]",
        args: &[],
        flags: &[
            flag(
                "--files",
                "PARTITION",
                ValueKind::Partition,
                "The partition whose log to print, such as `orders-2` (Kafka takes the \
                 segment file's path).",
            )
            .required(),
            flag(
                "--broker",
                "ID",
                ValueKind::Node,
                "Whose replica (default: the leader's).",
            ),
            switch("--print-data-log", "Print each record too."),
        ],
        example: "kafka-dump-log.sh --files orders-2 --print-data-log",
        build: build_dump_log,
    },
    CommandSpec {
        name: "kafka-consumer-groups.sh",
        aliases: GROUPS_ALIASES,
        mode: Some("--list"),
        group: TOOLS,
        summary: "List the consumer groups' ids.",
        usage: "kafka-consumer-groups.sh --list",
        args: &[],
        flags: &[BOOTSTRAP_SERVER],
        example: "kafka-consumer-groups.sh --list",
        build: build_groups_list,
    },
    CommandSpec {
        name: "kafka-consumer-groups.sh",
        aliases: GROUPS_ALIASES,
        mode: Some("--describe"),
        group: TOOLS,
        summary: "Describe a consumer group: each partition's committed offset, log end offset, \
                  lag and owner (the default), its members, or its coordinator and state.",
        usage: "kafka-consumer-groups.sh --describe --group GROUP [--offsets | --members \
                [--verbose] | --state]",
        args: &[],
        flags: &[
            GROUP_FLAG,
            switch(
                "--offsets",
                "One line per partition: committed offset, log end offset, lag, and the member \
                 that owns it. What --describe shows without any of these flags.",
            ),
            switch(
                "--members",
                "One line per member: consumer id, host, client id and number of partitions.",
            ),
            switch(
                "--verbose",
                "With --members: each member's epoch and assignment, and the target ones.",
            ),
            switch(
                "--state",
                "The group's coordinator, assignment strategy, state and number of members.",
            ),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-consumer-groups.sh --describe --group billing --members --verbose",
        build: build_groups_describe,
    },
    CommandSpec {
        name: "kafka-consumer-groups.sh",
        aliases: GROUPS_ALIASES,
        mode: Some("--reset-offsets"),
        group: TOOLS,
        summary: "Move a group's committed offsets, while the group has no active members. \
                  Without --execute it is a dry run that only prints the new offsets, as in \
                  Kafka.",
        usage: "kafka-consumer-groups.sh --reset-offsets --group GROUP (--topic TOPIC[:P,P]... | \
                --all-topics) (--to-earliest | --to-latest | --to-offset N | --shift-by N) \
                [--dry-run | --execute]",
        args: &[],
        flags: &[
            GROUP_FLAG,
            flag(
                "--topic",
                "TOPIC[:P,P]",
                ValueKind::TopicScope,
                "A topic, or some of its partitions (`orders:0,1`); repeat the flag for more.",
            )
            .repeatable(),
            switch(
                "--all-topics",
                "Every partition the group has a committed offset for.",
            ),
            switch("--to-earliest", "To each partition's log start offset."),
            switch(
                "--to-latest",
                "To each partition's log end offset (its high watermark): skip everything \
                 not read yet.",
            ),
            flag(
                "--to-offset",
                "N",
                ValueKind::Int {
                    min: 0,
                    max: i64::MAX,
                },
                "To this offset, moved into the partition's range (log start to log end) if \
                 it is outside.",
            ),
            flag(
                "--shift-by",
                "N",
                ValueKind::Int {
                    min: i64::MIN,
                    max: i64::MAX,
                },
                "Forward (or back, if negative) from the committed offset, kept within the \
                 partition's range.",
            ),
            switch("--dry-run", "Only print the new offsets (the default)."),
            switch("--execute", "Commit the new offsets."),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-consumer-groups.sh --reset-offsets --group billing --topic orders \
                  --to-earliest --execute",
        build: build_groups_reset,
    },
    CommandSpec {
        name: "kafka-consumer-groups.sh",
        aliases: GROUPS_ALIASES,
        mode: Some("--delete"),
        group: TOOLS,
        summary: "Delete a consumer group that has no active members, with its committed \
                  offsets.",
        usage: "kafka-consumer-groups.sh --delete --group GROUP",
        args: &[],
        flags: &[GROUP_FLAG, BOOTSTRAP_SERVER],
        example: "kafka-consumer-groups.sh --delete --group billing",
        build: build_groups_delete,
    },
    CommandSpec {
        name: "produce",
        aliases: &[],
        mode: None,
        group: CLIENTS,
        summary: "Send one produce request of N records to a partition's leader, as a producer \
                  would.",
        usage: "produce PARTITION [--count N] [--acks all|-1|1|0] [--key KEY] [--value VALUE] \
                [--timeout-ms MS]",
        args: &[arg(
            "PARTITION",
            ValueKind::Partition,
            "The partition to write to, such as `orders-0`.",
        )],
        flags: &[
            flag(
                "--count",
                "N",
                ValueKind::Int {
                    min: 1,
                    max: MAX_PRODUCE_COUNT,
                },
                "Records in the request.",
            )
            .default("1"),
            flag(
                "--acks",
                "ACKS",
                ValueKind::Choice(ACKS),
                "`all` (or `-1`): every ISR member has the records, subject to \
                 `min.insync.replicas`; `1`: the leader has them; `0`: no answer at all.",
            )
            .default("all"),
            flag("--key", "KEY", ValueKind::Text, "Key of every record."),
            flag(
                "--value",
                "VALUE",
                ValueKind::Text,
                "Value of every record.",
            ),
            flag(
                "--timeout-ms",
                "MS",
                ValueKind::Int {
                    min: 0,
                    max: MAX_RUN_MS,
                },
                "How long the producer waits for the answer before giving up.",
            )
            .default("30000"),
        ],
        example: "produce orders-0 --count 5 --acks all --value \"hello world\"",
        build: build_produce,
    },
    CommandSpec {
        name: "consume",
        aliases: &[],
        mode: None,
        group: CLIENTS,
        summary: "Fetch from a partition's leader, as a consumer would (read_uncommitted: up to \
                  the high watermark).",
        usage: "consume PARTITION [--from OFFSET]",
        args: &[arg(
            "PARTITION",
            ValueKind::Partition,
            "The partition to read, such as `orders-0`.",
        )],
        flags: &[flag(
            "--from",
            "OFFSET",
            ValueKind::Int {
                min: 0,
                max: i64::MAX,
            },
            "The offset to fetch from.",
        )
        .default("0")],
        example: "consume orders-0 --from 3",
        build: build_consume,
    },
    CommandSpec {
        name: "producer",
        aliases: &[],
        mode: Some("start"),
        group: CLIENTS,
        summary: "Start a producer with Kafka's producer configs (idempotent by default). With \
                  transactional.id it calls initTransactions() at once, fencing any older \
                  instance with the same id.",
        usage: "producer start NAME [--producer-property KEY=VALUE]...",
        args: &[PRODUCER_NAME],
        flags: &[flag(
            "--producer-property",
            "KEY=VALUE",
            ValueKind::Config,
            "A producer config, such as `acks=1`, `linger.ms=20`, \
             `enable.idempotence=false` or `transactional.id=tx-1`; repeat the flag for more.",
        )
        .repeatable()],
        example: "producer start app --producer-property enable.idempotence=false \
                  --producer-property max.in.flight.requests.per.connection=5",
        build: build_producer_start,
    },
    CommandSpec {
        name: "producer",
        aliases: &[],
        mode: Some("send"),
        group: CLIENTS,
        summary: "send() records: each goes to the partition it names, else the one its key \
                  hashes to (murmur2), else the sticky partition, and waits in that \
                  partition's batch until the batch is full or linger.ms has passed.",
        usage: "producer send NAME TOPIC [--count N] [--key KEY] [--value VALUE] \
                [--partition P]",
        args: &[
            PRODUCER_NAME,
            arg("TOPIC", ValueKind::Topic, "The topic to write to."),
        ],
        flags: &[
            flag(
                "--count",
                "N",
                ValueKind::Int { min: 1, max: 100_000 },
                "How many records.",
            )
            .default("1"),
            flag("--key", "KEY", ValueKind::Text, "Key of every record."),
            flag(
                "--value",
                "VALUE",
                ValueKind::Text,
                "Value of every record (default: the producer's name and a number).",
            ),
            flag(
                "--partition",
                "P",
                ValueKind::Int { min: 0, max: 100_000 },
                "Send to this partition, whatever the key.",
            ),
        ],
        example: "producer send app orders --count 3 --key user-42",
        build: build_producer_send,
    },
    producer_action(
        "flush",
        "flush(): send every waiting batch now, without waiting for linger.ms.",
        "producer flush NAME",
        "producer flush app",
        build_producer_flush,
    ),
    producer_action(
        "begin",
        "beginTransaction() on a transactional producer.",
        "producer begin NAME",
        "producer begin tx-app",
        build_producer_begin,
    ),
    producer_action(
        "commit",
        "commitTransaction(): flush, then the coordinator writes COMMIT markers; \
         read_committed consumers then see the records.",
        "producer commit NAME",
        "producer commit tx-app",
        build_producer_commit,
    ),
    producer_action(
        "abort",
        "abortTransaction(): unsent records are dropped and the coordinator writes ABORT \
         markers; read_committed consumers never see the records.",
        "producer abort NAME",
        "producer abort tx-app",
        build_producer_abort,
    ),
    producer_action(
        "stop",
        "close(): send what is waiting, wait for the answers, stop.",
        "producer stop NAME",
        "producer stop app",
        build_producer_stop,
    ),
    producer_action(
        "crash",
        "Kill a producer: records still in its accumulator are lost.",
        "producer crash NAME",
        "producer crash app",
        build_producer_crash,
    ),
    CommandSpec {
        name: "producer",
        aliases: &[],
        mode: Some("restart"),
        group: CLIENTS,
        summary: "Start a stopped or crashed producer again as a new instance with the same \
                  configs, or with some of them changed (a redeploy with a new setting); a \
                  transactional one fences its previous instance.",
        usage: "producer restart NAME [--producer-property KEY=VALUE]...",
        args: &[PRODUCER_NAME],
        flags: &[flag(
            "--producer-property",
            "KEY=VALUE",
            ValueKind::Config,
            "A producer config that replaces the one it ran with, such as `linger.ms=20`; \
             repeat the flag for more.",
        )
        .repeatable()],
        example: "producer restart app --producer-property linger.ms=20",
        build: build_producer_restart,
    },
    CommandSpec {
        name: "producer",
        aliases: &[],
        mode: Some("send-offsets"),
        group: CLIENTS,
        summary: "sendOffsetsToTransaction(): the positions of GROUP's consumers commit with \
                  the producer's open transaction (consume-transform-produce, exactly once).",
        usage: "producer send-offsets NAME --group GROUP",
        args: &[PRODUCER_NAME],
        flags: &[GROUP_FLAG],
        example: "producer send-offsets tx-app --group enrich",
        build: build_producer_send_offsets,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("start"),
        group: CLIENTS,
        summary: "Start a consumer: it subscribes to topics through a group, whose coordinator \
                  gives it partitions, or reads the partitions it is assigned; then it polls, \
                  processes and commits as Kafka's consumer does.",
        usage: "consumer start NAME (--topic TOPIC,... --group GROUP | --assign PARTITION,... \
                [--group GROUP]) [--consumer-property KEY=VALUE]...",
        args: &[CONSUMER_NAME],
        flags: &[
            flag(
                "--topic",
                "TOPIC,...",
                ValueKind::Topics,
                "Subscribe to these topics (needs --group); repeat the flag for more.",
            )
            .repeatable(),
            flag(
                "--assign",
                "PARTITION,...",
                ValueKind::Partitions,
                "Read these partitions, such as `orders-0,orders-1`, without a group \
                 assigning them; repeat the flag for more.",
            )
            .repeatable(),
            flag(
                "--group",
                "GROUP",
                ValueKind::Name,
                "The consumer group (`group.id`). With --assign it is only where offsets are \
                 committed.",
            ),
            flag(
                "--consumer-property",
                "KEY=VALUE",
                ValueKind::Config,
                "A consumer config, such as `max.poll.records=10` or \
                 `group.protocol=consumer`; repeat the flag for more.",
            )
            .repeatable(),
        ],
        example: "consumer start billing-1 --topic orders --group billing --consumer-property \
                  max.poll.records=10",
        build: build_consumer_start,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("stop"),
        group: CLIENTS,
        summary: "Close a consumer: it commits (with auto-commit), leaves its group and stops; \
                  the group rebalances at once.",
        usage: "consumer stop NAME",
        args: &[CONSUMER_NAME],
        flags: &[],
        example: "consumer stop billing-1",
        build: build_consumer_stop,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("crash"),
        group: CLIENTS,
        summary: "Kill a consumer: it neither commits nor leaves, so its group notices only \
                  when its session times out.",
        usage: "consumer crash NAME",
        args: &[CONSUMER_NAME],
        flags: &[],
        example: "consumer crash billing-1",
        build: build_consumer_crash,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("restart"),
        group: CLIENTS,
        summary: "Start a stopped or crashed consumer again, with the same configs, or with \
                  some of them changed (a redeploy with a new setting).",
        usage: "consumer restart NAME [--consumer-property KEY=VALUE]...",
        args: &[CONSUMER_NAME],
        flags: &[flag(
            "--consumer-property",
            "KEY=VALUE",
            ValueKind::Config,
            "A consumer config that replaces the one it ran with, such as \
             `group.instance.id=billing-1`; repeat the flag for more.",
        )
        .repeatable()],
        example: "consumer restart billing-1 --consumer-property group.instance.id=billing-1",
        build: build_consumer_restart,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("set"),
        group: CLIENTS,
        summary: "Change a running consumer's sandbox knob, such as how long it works on each \
                  record (to make it slow).",
        usage: "consumer set NAME KEY=VALUE",
        args: &[
            CONSUMER_NAME,
            arg(
                "KEY=VALUE",
                ValueKind::Config,
                "A `sandbox.*` consumer config: `sandbox.processing.ms.per.record` or \
                 `sandbox.commit.after.poll` (the `sandbox.` may be left out).",
            ),
        ],
        flags: &[],
        example: "consumer set billing-1 sandbox.processing.ms.per.record=200",
        build: build_consumer_set,
    },
    CommandSpec {
        name: "crash",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Kill a broker or controller at once; what it had not flushed to disk is lost.",
        usage: "crash NODE",
        args: &[NODE_ARG],
        flags: &[],
        example: "crash 1",
        build: build_crash,
    },
    CommandSpec {
        name: "restart",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Start a crashed or stopped node again; it rejoins the cluster.",
        usage: "restart NODE",
        args: &[NODE_ARG],
        flags: &[],
        example: "restart 1",
        build: build_restart,
    },
    CommandSpec {
        name: "shutdown",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Controlled shutdown: leadership moves away before the node stops.",
        usage: "shutdown NODE",
        args: &[NODE_ARG],
        flags: &[],
        example: "shutdown 2",
        build: build_shutdown,
    },
    CommandSpec {
        name: "partition",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Cut the network between two sets of nodes: no message crosses until healed.",
        usage: "partition NODE,... | NODE,...",
        args: &[arg(
            "NODE,... | NODE,...",
            ValueKind::Sides,
            "The two sides: node ids separated by commas, the sides by `|`.",
        )],
        flags: &[],
        example: "partition 0,1 | 2,100",
        build: build_partition,
    },
    CommandSpec {
        name: "heal",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Repair the network: every cut, or only the cut between two sets of nodes.",
        usage: "heal [NODE,... | NODE,...]",
        args: &[arg(
            "NODE,... | NODE,...",
            ValueKind::Sides,
            "Only the cut between these sides; every cut without it.",
        )
        .optional()],
        flags: &[],
        example: "heal 0,1 | 2,100",
        build: build_heal,
    },
    CommandSpec {
        name: "slow",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Set the latency of the link between two nodes.",
        usage: "slow A B --latency-ms MS",
        args: &[
            arg("A", ValueKind::Node, "One end of the link."),
            arg("B", ValueKind::Node, "The other end."),
        ],
        flags: &[flag(
            "--latency-ms",
            "MS",
            ValueKind::Int {
                min: 0,
                max: MAX_LATENCY_MS,
            },
            "How long each message takes, each way.",
        )
        .required()],
        example: "slow 0 1 --latency-ms 300",
        build: build_slow,
    },
    CommandSpec {
        name: "pause-fetch",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Stop the follower replicas on a broker from fetching, so they fall behind.",
        usage: "pause-fetch BROKER [PARTITION]",
        args: &[
            arg(
                "BROKER",
                ValueKind::Node,
                "The broker whose followers stop.",
            ),
            arg(
                "PARTITION",
                ValueKind::Partition,
                "Only this partition's follower; all of them without it.",
            )
            .optional(),
        ],
        flags: &[],
        example: "pause-fetch 2 orders-0",
        build: build_pause_fetch,
    },
    CommandSpec {
        name: "resume-fetch",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Let paused followers fetch again.",
        usage: "resume-fetch BROKER [PARTITION]",
        args: &[
            arg(
                "BROKER",
                ValueKind::Node,
                "The broker whose followers resume.",
            ),
            arg(
                "PARTITION",
                ValueKind::Partition,
                "Only this partition's follower; all of them without it.",
            )
            .optional(),
        ],
        flags: &[],
        example: "resume-fetch 2",
        build: build_resume_fetch,
    },
    CommandSpec {
        name: "step",
        aliases: &[],
        mode: None,
        group: TIME,
        summary: "Deliver the next N messages or timers, one at a time, or step until the next \
                  event of a kind.",
        usage: "step [N] | step --until election|isr-change|produce-ack|controller-change|hw|rebalance \
                [--max N]",
        args: &[arg(
            "N",
            ValueKind::Int {
                min: 1,
                max: MAX_STEPS,
            },
            "How many steps.",
        )
        .default("1")],
        flags: &[
            flag(
                "--until",
                "EVENT",
                ValueKind::Choice(EVENTS),
                "Step until the next leader election, ISR change, produce answer, change of \
                 active controller, high watermark move, or consumer group rebalance.",
            ),
            flag(
                "--max",
                "N",
                ValueKind::Int {
                    min: 1,
                    max: MAX_STEPS,
                },
                "With --until: stop after this many steps if the event has not happened.",
            )
            .default("10000"),
        ],
        example: "step --until election",
        build: build_step,
    },
    CommandSpec {
        name: "run",
        aliases: &[],
        mode: None,
        group: TIME,
        summary: "Advance simulated time, processing everything that falls due.",
        usage: "run DURATION",
        args: &[arg(
            "DURATION",
            ValueKind::Duration { max_ms: MAX_RUN_MS },
            "`250ms`, `5s`, `2m`, `1h`, or a bare number of milliseconds.",
        )],
        flags: &[],
        example: "run 5s",
        build: build_run,
    },
    CommandSpec {
        name: "back",
        aliases: &[],
        mode: None,
        group: TRAVEL,
        summary: "Go back N steps.",
        usage: "back [N]",
        args: &[arg(
            "N",
            ValueKind::Int {
                min: 1,
                max: MAX_STEPS,
            },
            "How many steps.",
        )
        .default("1")],
        flags: &[],
        example: "back 3",
        build: build_back,
    },
    CommandSpec {
        name: "seek",
        aliases: &[],
        mode: None,
        group: TRAVEL,
        summary: "Go to step N of the current branch.",
        usage: "seek N",
        args: &[arg(
            "N",
            ValueKind::Int {
                min: 0,
                max: i64::MAX,
            },
            "The step; 0 is the start of the run.",
        )],
        flags: &[],
        example: "seek 120",
        build: build_seek,
    },
    CommandSpec {
        name: "fork",
        aliases: &[],
        mode: None,
        group: TRAVEL,
        summary: "Start a new branch at the current step; later commands apply to it.",
        usage: "fork",
        args: &[],
        flags: &[],
        example: "fork",
        build: build_fork,
    },
];

/// The table every part of the language comes from, in reference order.
pub fn command_specs() -> &'static [CommandSpec] {
    COMMANDS
}

/// The command words a console line can start with, in reference order (the script-only
/// `cluster` header is not one of them; aliases such as `kafka-topics` are not listed).
pub fn command_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for spec in COMMANDS.iter().filter(|s| !s.is_header()) {
        if !names.contains(&spec.name) {
            names.push(spec.name);
        }
    }
    names
}

#!/bin/sh
# A Kafka Sandbox run, as the commands that would set it up on a real Kafka 4.x
# cluster (KRaft). What only the simulation can do (crash a process, cut or slow a
# link, move in time) is a comment saying what to do by hand.

# The cluster: 2 broker(s) and 1 KRaft controller(s). One server.properties per node:
#   controller 100: process.roles=controller node.id=100 listeners=CONTROLLER://localhost:9093 controller.listener.names=CONTROLLER controller.quorum.bootstrap.servers=localhost:9093
#   broker 0: process.roles=broker node.id=0 listeners=PLAINTEXT://localhost:9092 controller.listener.names=CONTROLLER controller.quorum.bootstrap.servers=localhost:9093 broker.rack=a
#   broker 1: process.roles=broker node.id=1 listeners=PLAINTEXT://localhost:9192 controller.listener.names=CONTROLLER controller.quorum.bootstrap.servers=localhost:9093 broker.rack=b
# Format each node's log directory once (kafka-storage.sh format), then start each with
# kafka-server-start.sh server.properties.

kafka-topics.sh --bootstrap-server localhost:9092 --create --topic orders --partitions 3 --replication-factor 2 --config min.insync.replicas=2

sleep 2
# producer app: its configs (use them with --producer.config app.properties)
cat > app.properties <<'EOF'
bootstrap.servers=localhost:9092
client.id=app
acks=all
linger.ms=5
EOF

# app sends 3 record(s) with key k1: type them, then Ctrl-D
kafka-console-producer.sh --bootstrap-server localhost:9092 --topic orders --producer.config app.properties --property parse.key=true --property key.separator=:

# consumer c1: its configs
cat > c1.properties <<'EOF'
bootstrap.servers=localhost:9092
client.id=c1
group.id=billing
isolation.level=read_committed
EOF
kafka-console-consumer.sh --bootstrap-server localhost:9092 --topic orders --consumer.config c1.properties &
C1_PID=$!

sleep 2
cat > delete-records.json <<'EOF'
{"partitions":[{"topic":"orders","partition":0,"offset":-1}],"version":1}
EOF
kafka-delete-records.sh --bootstrap-server localhost:9092 --offset-json-file delete-records.json

# crash node 1: kill -9 its Kafka process (kafka.Kafka with node.id=1)

kill -9 $C1_PID  # the process dies: the group notices at session.timeout.ms

# The run went back in time or forked in the sandbox: a real cluster only goes
# forward, so those moves have no command here.

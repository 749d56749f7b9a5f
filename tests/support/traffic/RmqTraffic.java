// RmqTraffic: message traffic for the end-to-end tests (tests/support/message_traffic.h compiles
// it with javac against the RocketMQ client jars of the local image and runs it).
//
//   java RmqTraffic produce --namesrv A --topic T --run R --status FILE
//                           [--count N] [--interval-ms X] [--stop-file F] [--route-timeout-ms M]
//   java RmqTraffic consume --namesrv A --topic T --run R --group G --status FILE [--stop-file F]
//
// The producer sends messages with key and body "R-<seq>" (seq = 0, 1, 2, ...), one synchronous
// send at a time, every X ms (0: back to back), until N were attempted or the stop file exists.
// Before the first message it waits (up to M ms, default 60000) for the topic's route, so a topic
// created a moment ago does not fail the first sends. A send that returns SEND_OK counts as sent;
// anything else (another status, an exception) as failed, and the next message has the next seq.
//
// The consumer (push consumer, new group G, from the first offset, all tags) counts the distinct
// seqs of run R it receives (a redelivered message is counted once), and every delivery.
//
// Both write FILE (JSON, replaced atomically) every 200 ms and once more at the end, then exit 0:
//   producer {"role":"producer","attempted":n,"sent_ok":n,"failed":n,"last_error":"...",
//             "done":bool}
//   consumer {"role":"consumer","received":n,"distinct":n,"done":bool}
// With "done": true, FILE.seqs lists the seqs (one per line): those sent OK, or those received.
// Errors of the tool itself (bad arguments, no route) exit 2 with a message on stderr.
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

public final class RmqTraffic {
  private static Map<String, String> parse(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 1; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        usage("bad argument " + args[i]);
      }
      out.put(args[i].substring(2), args[i + 1]);
    }
    return out;
  }

  private static void usage(String why) {
    System.err.println("RmqTraffic: " + why);
    System.err.println("usage: RmqTraffic produce|consume --namesrv A --topic T --run R --status F"
        + " [--count N] [--interval-ms X] [--group G] [--stop-file F]");
    System.exit(2);
  }

  private static String need(Map<String, String> a, String key) {
    String v = a.get(key);
    if (v == null) usage("--" + key + " is required");
    return v;
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  // Writes `text` to `path` through a temporary file and a rename, so a reader sees the old or
  // the new content, never a part.
  private static void writeAtomically(Path path, String text) throws IOException {
    Path tmp = Paths.get(path + ".tmp");
    Files.write(tmp, text.getBytes(StandardCharsets.UTF_8));
    Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeSeqs(Path status, Set<Long> seqs) throws IOException {
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Paths.get(status + ".seqs.tmp")))) {
      for (long s : new TreeSet<>(seqs)) w.println(s);
    }
    Files.move(Paths.get(status + ".seqs.tmp"), Paths.get(status + ".seqs"),
        StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static boolean stopRequested(String stopFile) {
    return stopFile != null && Files.exists(Paths.get(stopFile));
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) usage("no command");
    Map<String, String> a = parse(args);
    switch (args[0]) {
      case "produce":
        produce(a);
        break;
      case "consume":
        consume(a);
        break;
      default:
        usage("unknown command " + args[0]);
    }
    System.exit(0);
  }

  private static void produce(Map<String, String> a) throws Exception {
    final String namesrv = need(a, "namesrv");
    final String topic = need(a, "topic");
    final String run = need(a, "run");
    final Path status = Paths.get(need(a, "status"));
    final long count = Long.parseLong(a.getOrDefault("count", "-1"));
    final long intervalMs = Long.parseLong(a.getOrDefault("interval-ms", "0"));
    final long routeTimeoutMs = Long.parseLong(a.getOrDefault("route-timeout-ms", "60000"));
    final String stopFile = a.get("stop-file");

    DefaultMQProducer producer = new DefaultMQProducer("rmq-traffic-producer-" + run);
    producer.setNamesrvAddr(namesrv);
    producer.setSendMsgTimeout(5000);
    producer.start();

    long deadline = System.currentTimeMillis() + routeTimeoutMs;
    String routeError = "";
    while (true) {
      try {
        List<MessageQueue> queues = producer.fetchPublishMessageQueues(topic);
        if (queues != null && !queues.isEmpty()) break;
      } catch (Exception e) {
        routeError = e.toString();
      }
      if (System.currentTimeMillis() > deadline || stopRequested(stopFile)) {
        System.err.println("RmqTraffic: no route for topic " + topic + " via " + namesrv + " after "
            + routeTimeoutMs + " ms: " + routeError);
        producer.shutdown();
        System.exit(2);
      }
      Thread.sleep(500);
    }

    Set<Long> ok = new TreeSet<>();
    long attempted = 0;
    long failed = 0;
    String lastError = "";
    long lastWrite = 0;
    while ((count < 0 || attempted < count) && !stopRequested(stopFile)) {
      long seq = attempted++;
      String id = run + "-" + seq;
      Message msg = new Message(topic, "e2e", id, id.getBytes(StandardCharsets.UTF_8));
      try {
        SendResult r = producer.send(msg);
        if (r.getSendStatus() == SendStatus.SEND_OK) {
          ok.add(seq);
        } else {
          failed++;
          lastError = "seq " + seq + ": " + r.getSendStatus();
        }
      } catch (Exception e) {
        failed++;
        lastError = "seq " + seq + ": " + e;
      }
      long now = System.currentTimeMillis();
      if (now - lastWrite >= 200) {
        writeAtomically(status, producerJson(attempted, ok.size(), failed, lastError, false));
        lastWrite = now;
      }
      if (intervalMs > 0) Thread.sleep(intervalMs);
    }
    producer.shutdown();
    writeSeqs(status, ok);
    writeAtomically(status, producerJson(attempted, ok.size(), failed, lastError, true));
  }

  private static String producerJson(long attempted, long ok, long failed, String lastError,
      boolean done) {
    return "{\"role\":\"producer\",\"attempted\":" + attempted + ",\"sent_ok\":" + ok
        + ",\"failed\":" + failed + ",\"last_error\":" + quote(lastError) + ",\"done\":" + done
        + "}\n";
  }

  private static void consume(Map<String, String> a) throws Exception {
    final String namesrv = need(a, "namesrv");
    final String topic = need(a, "topic");
    final String run = need(a, "run");
    final String group = need(a, "group");
    final Path status = Paths.get(need(a, "status"));
    final String stopFile = a.get("stop-file");
    final String prefix = run + "-";

    final Set<Long> seen = ConcurrentHashMap.newKeySet();
    final AtomicLong received = new AtomicLong();
    DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
    consumer.setNamesrvAddr(namesrv);
    consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
    consumer.subscribe(topic, "*");
    consumer.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
      for (MessageExt m : msgs) {
        received.incrementAndGet();
        String key = m.getKeys();
        if (key == null || !key.startsWith(prefix)) continue;
        try {
          seen.add(Long.parseLong(key.substring(prefix.length())));
        } catch (NumberFormatException e) {
          // not one of ours
        }
      }
      return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    });
    consumer.start();
    while (!stopRequested(stopFile)) {
      writeAtomically(status, consumerJson(received.get(), seen.size(), false));
      Thread.sleep(200);
    }
    consumer.shutdown();
    writeSeqs(status, seen);
    writeAtomically(status, consumerJson(received.get(), seen.size(), true));
  }

  private static String consumerJson(long received, long distinct, boolean done) {
    return "{\"role\":\"consumer\",\"received\":" + received + ",\"distinct\":" + distinct
        + ",\"done\":" + done + "}\n";
  }
}

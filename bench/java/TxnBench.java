// The Java producer in transactions, the same loop as bench/clients/ours-txn.ts:
// initTransactions() and the topic's metadata before the clock, then per
// transaction beginTransaction(), send() of each record without a callback and
// commitTransaction(), which flushes and throws if any send failed. Prints one
// JSON line in the shape of bench/txn-job.ts. Compiled by bench/java-txn.ts
// against the broker's own kafka-clients jar; run with its libs directory.
//
//   java -cp <classes>:<libs>/* TxnBench bootstrap topic transactionalId transactions recordsPerTransaction valueSize

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class TxnBench {
  /** Distinct values cycled through, as in the Node runners. */
  private static final int VALUE_POOL = 1024;

  public static void main(String[] args) {
    try {
      System.out.println(run(args));
      System.exit(0);
    } catch (Throwable e) {
      System.out.println("{\"ok\":false,\"error\":" + quote(describe(e)) + "}");
      System.exit(1);
    }
  }

  private static String run(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String transactionalId = args[2];
    int transactions = Integer.parseInt(args[3]);
    int perTransaction = Integer.parseInt(args[4]);
    int valueSize = Integer.parseInt(args[5]);

    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    // The defaults of both clients, spelled out so the report can say so.
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "16384");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

    Random random = new Random();
    byte[][] values = new byte[VALUE_POOL][];
    for (int v = 0; v < VALUE_POOL; v++) {
      values[v] = new byte[valueSize];
      for (int b = 0; b < valueSize; b++) values[v][b] = (byte) (33 + random.nextInt(94));
    }

    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.initTransactions();
      producer.partitionsFor(topic);
      double[] commits = new double[transactions];
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      int i = 0;
      for (int t = 0; t < transactions; t++) {
        producer.beginTransaction();
        for (int r = 0; r < perTransaction; r++, i++) producer.send(new ProducerRecord<>(topic, null, values[i % VALUE_POOL]));
        long c0 = System.nanoTime();
        producer.commitTransaction();
        commits[t] = (System.nanoTime() - c0) / 1e6;
      }
      double wallMs = (System.nanoTime() - t0) / 1e6;
      double cpuMs = (os.getProcessCpuTime() - cpu0) / 1e6;
      Arrays.sort(commits);
      int n = commits.length;
      double commitP50 = n % 2 == 1 ? commits[n / 2] : (commits[n / 2 - 1] + commits[n / 2]) / 2;
      return String.format(
          java.util.Locale.ROOT,
          "{\"ok\":true,\"wallMs\":%.3f,\"transactions\":%d,\"records\":%d,\"commitP50Ms\":%.3f,\"cpuMs\":%.1f,\"maxRssMb\":%.1f}",
          wallMs, transactions, i, commitP50, cpuMs, peakRssMb());
    }
  }

  /** VmHWM from /proc/self/status: the same peak RSS Node's resourceUsage().maxRSS reports. */
  private static double peakRssMb() throws Exception {
    for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
    }
    return -1;
  }

  private static String describe(Throwable e) {
    String s = e.getClass().getName() + ": " + e.getMessage();
    return e.getCause() == null || e.getCause() == e ? s : s + " (cause: " + describe(e.getCause()) + ")";
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}

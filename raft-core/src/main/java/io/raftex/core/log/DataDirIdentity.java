package io.raftex.core.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Optional;

/**
 * The identity of a data directory: which node it belongs to, its incarnation, the cluster it joined and the on-disk
 * format it is written in; stored in {@code <dataDir>/identity} as {@code magic:"RFXI" version:u8 format:i32
 * incarnation:i64 nodeId:str clusterId:str crc32c:i32} (strings as {@code length:i32 utf8}, an unknown node or
 * cluster id as the empty string), replaced whole (temporary file, fsync, rename, directory fsync).
 *
 * <p>The incarnation is a random non-zero number made when the directory is created: a node that comes back with
 * an emptied directory has a new one, and its votes and acknowledgements count for nothing until the leader binds
 * it (see {@code docs/membership.md}, "Incarnations"). A directory that already held data before identities existed
 * gets incarnation 0 (none) and works as it did then; recreating it gives it one.
 *
 * @param format      the on-disk format version of the directory
 * @param incarnation the directory's incarnation (0: none)
 * @param nodeId      the node the directory belongs to (empty: not recorded)
 * @param clusterId   the cluster it joined (empty: not known yet)
 */
public record DataDirIdentity(int format, long incarnation, String nodeId, String clusterId) {

    /** The on-disk format this version writes and reads (and every older one it reads). */
    public static final int FORMAT = 1;
    /** The file's name in the data directory. */
    public static final String FILE = "identity";

    private static final byte[] MAGIC = {'R', 'F', 'X', 'I'};
    private static final byte RECORD_VERSION = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    public DataDirIdentity {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(clusterId, "clusterId");
    }

    /** The cluster id, if known. */
    public Optional<String> cluster() {
        return clusterId.isEmpty() ? Optional.empty() : Optional.of(clusterId);
    }

    /**
     * Reads the identity of {@code dataDir}, creating it if the directory has none: with a new random incarnation if
     * the directory holds nothing yet, with incarnation 0 if it holds data written before identities existed.
     *
     * @param nodeId            the node opening it; empty to skip the check (a directory without a node id adopts
     *                          a given one)
     * @param expectedClusterId the cluster the node belongs to, if it knows; a directory of another one is refused
     * @throws IdentityMismatchException if the directory belongs to another node or cluster, or is of a newer format
     * @throws StorageException          if the record is damaged or cannot be written
     */
    public static DataDirIdentity open(Path dataDir, Optional<String> nodeId, Optional<String> expectedClusterId) {
        Path file = dataDir.resolve(FILE);
        try {
            Files.createDirectories(dataDir);
            DataDirIdentity identity;
            if (Files.exists(file)) {
                identity = decode(Files.readAllBytes(file), file);
            } else {
                // what the storage writes (a volume's lost+found or the like does not count)
                boolean holdsData = Files.exists(dataDir.resolve("state.db")) || Files.exists(dataDir.resolve("wal"))
                        || Files.exists(dataDir.resolve("segments")) || Files.exists(dataDir.resolve("store.db"));
                long incarnation = holdsData ? 0 : newIncarnation();
                identity = new DataDirIdentity(FORMAT, incarnation, nodeId.orElse(""), expectedClusterId.orElse(""));
                write(dataDir, identity);
                return identity;
            }
            if (nodeId.isPresent() && !identity.nodeId.isEmpty() && !identity.nodeId.equals(nodeId.get())) {
                throw new IdentityMismatchException("the data directory " + dataDir + " belongs to node '"
                        + identity.nodeId + "', not to this node '" + nodeId.get() + "': refusing to start"
                        + " (give each node its own data directory)");
            }
            if (expectedClusterId.isPresent() && !identity.clusterId.isEmpty()
                    && !identity.clusterId.equals(expectedClusterId.get())) {
                throw new IdentityMismatchException("the data directory " + dataDir + " belongs to cluster '"
                        + identity.clusterId + "', not to this node's cluster '" + expectedClusterId.get()
                        + "': refusing to start");
            }
            DataDirIdentity updated = new DataDirIdentity(FORMAT, identity.incarnation,
                    identity.nodeId.isEmpty() ? nodeId.orElse("") : identity.nodeId,
                    identity.clusterId.isEmpty() ? expectedClusterId.orElse("") : identity.clusterId);
            if (!updated.equals(identity)) {
                write(dataDir, updated); // an older format or a newly known id, written explicitly
            }
            return updated;
        } catch (IOException e) {
            throw new StorageException("cannot read or write the identity of " + dataDir + ": " + e, e);
        }
    }

    /** This identity with the cluster id now known, written to {@code dataDir}. */
    public DataDirIdentity withClusterId(Path dataDir, String newClusterId) {
        DataDirIdentity updated = new DataDirIdentity(FORMAT, incarnation, nodeId, newClusterId);
        try {
            write(dataDir, updated);
        } catch (IOException e) {
            throw new StorageException("cannot write the identity of " + dataDir + ": " + e, e);
        }
        return updated;
    }

    private static long newIncarnation() {
        long n;
        do {
            n = RANDOM.nextLong();
        } while (n == 0 || n == -1); // neither "unbound" nor "added"
        return n;
    }

    static byte[] encode(DataDirIdentity id) {
        byte[] node = id.nodeId.getBytes(StandardCharsets.UTF_8);
        byte[] cluster = id.clusterId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + 4 + 8 + 4 + node.length + 4 + cluster.length + 4);
        b.put(MAGIC).put(RECORD_VERSION).putInt(id.format).putLong(id.incarnation);
        b.putInt(node.length).put(node).putInt(cluster.length).put(cluster);
        b.putInt(EntryCodec.crc(b.array(), 0, b.position()));
        return b.array();
    }

    static DataDirIdentity decode(byte[] record, Path file) {
        if (record.length < 13 || record[0] != MAGIC[0] || record[1] != MAGIC[1] || record[2] != MAGIC[2]
                || record[3] != MAGIC[3]) {
            throw new StorageException("corrupt identity record " + file + ": bad magic");
        }
        ByteBuffer in = ByteBuffer.wrap(record);
        in.position(4);
        int stored = ByteBuffer.wrap(record, record.length - 4, 4).getInt();
        if (stored != EntryCodec.crc(record, 0, record.length - 4)) {
            throw new StorageException("corrupt identity record " + file + ": CRC32C mismatch");
        }
        int version = in.get() & 0xff;
        int format = in.getInt();
        if (version > RECORD_VERSION || format > FORMAT) {
            throw new IdentityMismatchException("the data directory of " + file + " is in format " + format
                    + " (identity record version " + version + "), newer than this version reads (format " + FORMAT
                    + ", record version " + RECORD_VERSION + "): refusing to open it");
        }
        try {
            long incarnation = in.getLong();
            String node = string(in, record.length - 4);
            String cluster = string(in, record.length - 4);
            if (in.position() != record.length - 4) {
                throw new StorageException("corrupt identity record " + file + ": bytes after its fields");
            }
            return new DataDirIdentity(format, incarnation, node, cluster);
        } catch (RuntimeException e) {
            if (e instanceof StorageException s) {
                throw s;
            }
            throw new StorageException("corrupt identity record " + file + ": " + e, e);
        }
    }

    private static String string(ByteBuffer in, int end) {
        int length = in.getInt();
        if (length < 0 || in.position() + length > end) {
            throw new IllegalArgumentException("impossible string length " + length);
        }
        byte[] b = new byte[length];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void write(Path dataDir, DataDirIdentity identity) throws IOException {
        Path file = dataDir.resolve(FILE);
        Path tmp = dataDir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(encode(identity));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel dir = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            // a platform without directory fsync
        } catch (IOException e) {
            // Windows cannot open a directory; elsewhere this is a real failure
            if (!System.getProperty("os.name", "").startsWith("Windows")) {
                throw e;
            }
        }
    }
}

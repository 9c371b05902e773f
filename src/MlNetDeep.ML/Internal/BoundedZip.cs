using System.IO.Compression;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Reads zip entries without trusting them: an entry is read only up to the size its directory declares, that size
/// must be within a cap, and an entry may not inflate more than <see cref="MaxRatio"/> times its compressed size (past a
/// small grace), so a zip bomb is rejected before it is inflated and the memory taken stays proportional to the file.
/// MlNetDeep writes its pipeline entries uncompressed, so its own files are far inside these bounds.
/// </summary>
internal static class BoundedZip
{
    /// <summary>The largest inflation allowed (uncompressed ÷ compressed), as in Apache POI's zip-bomb guard.</summary>
    public const int MaxRatio = 100;

    /// <summary>Entries up to this size are not held to <see cref="MaxRatio"/> (small text compresses well).</summary>
    public const long Grace = 1 << 20;

    /// <summary>The largest entry read into memory (the largest .NET byte array).</summary>
    public const long MaxEntryBytes = 0x7FFFFFC7;

    /// <summary>Reads <paramref name="entry"/> whole.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="archiveLength">The size of the whole archive in bytes.</param>
    /// <param name="cap">The largest size accepted.</param>
    /// <param name="expectedLength">The size another record (the checksummed manifest) gives, or null.</param>
    /// <exception cref="InvalidDataException">The entry is larger than allowed, inflates beyond its declared size or its
    /// ratio, ends early, or does not have the expected size.</exception>
    public static byte[] Read(ZipArchiveEntry entry, long archiveLength, long cap, long? expectedLength = null)
    {
        Check(entry, archiveLength, cap, expectedLength);
        using var stream = entry.Open();

        // Memory follows the bytes that really arrive: a large declared size is filled chunk by chunk, so an entry that
        // ends early costs what it held, not what it claimed.
        const int Chunk = 64 << 20;
        var chunks = new List<byte[]>();
        long total = 0;
        while (total < entry.Length)
        {
            var chunk = new byte[(int)Math.Min(Chunk, entry.Length - total)];
            var n = stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
            total += n;
            if (n < chunk.Length)
            {
                throw new InvalidDataException($"entry '{entry.FullName}' ends after {total} of the {entry.Length} bytes it declares.");
            }

            chunks.Add(chunk);
        }

        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0)
        {
            throw new InvalidDataException($"entry '{entry.FullName}' inflates beyond the {entry.Length} bytes it declares.");
        }

        if (chunks.Count == 1)
        {
            return chunks[0];
        }

        var bytes = new byte[total];
        var offset = 0;
        foreach (var chunk in chunks)
        {
            chunk.CopyTo(bytes, offset);
            offset += chunk.Length;
        }

        return bytes;
    }

    /// <summary>
    /// Checks every entry of the zip held in <paramref name="bytes"/> (a nested archive that another library will open)
    /// the same way, inflating each into a small buffer and discarding it, so that library never meets a bomb.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a zip, or an entry fails the checks of <see cref="Read"/>.</exception>
    public static void Inspect(byte[] bytes, string name)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
        var buffer = new byte[81920];
        foreach (var entry in zip.Entries)
        {
            Check(entry, bytes.Length, MaxEntryBytes, null);
            using var stream = entry.Open();
            long total = 0;
            int n;
            while ((n = stream.Read(buffer)) > 0)
            {
                total += n;
                if (total > entry.Length)
                {
                    throw new InvalidDataException($"entry '{entry.FullName}' of '{name}' inflates beyond the {entry.Length} bytes it declares.");
                }
            }

            if (total != entry.Length)
            {
                throw new InvalidDataException($"entry '{entry.FullName}' of '{name}' ends after {total} of the {entry.Length} bytes it declares.");
            }
        }
    }

    private static void Check(ZipArchiveEntry entry, long archiveLength, long cap, long? expectedLength)
    {
        var length = entry.Length;
        if (entry.CompressedLength < 0 || entry.CompressedLength > archiveLength)
        {
            throw new InvalidDataException($"entry '{entry.FullName}' declares {entry.CompressedLength} compressed bytes, more than the archive holds.");
        }

        if (length < 0 || length > Math.Min(cap, MaxEntryBytes))
        {
            throw new InvalidDataException($"entry '{entry.FullName}' declares {length} bytes; at most {Math.Min(cap, MaxEntryBytes)} are accepted.");
        }

        if (length > Grace && length > MaxRatio * Math.Max(entry.CompressedLength, 1))
        {
            throw new InvalidDataException(
                $"entry '{entry.FullName}' would inflate {entry.CompressedLength} bytes to {length} (more than {MaxRatio}:1); the file looks like a zip bomb.");
        }

        if (expectedLength is { } expected && length != expected)
        {
            throw new InvalidDataException($"entry '{entry.FullName}' has {length} bytes where the manifest records {expected}.");
        }
    }
}

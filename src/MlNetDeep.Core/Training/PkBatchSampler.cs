using MlNetDeep.Tensors;

namespace MlNetDeep.Training;

/// <summary>
/// Mini-batches of P identities × K examples each (Hermans et al. 2017), so that every row of a batch has positives and
/// negatives to mine triplets from (<see cref="Losses.Metric.TripletLoss"/>): the seed's "训练集中必须包含一个人的至少2张照片".
/// Each epoch has ⌊rows / (P·K)⌋ batches; each batch draws P distinct identities at random and takes the next K rows of
/// each from that identity's own shuffled queue (reshuffled when fewer than K are left; an identity with fewer than K rows
/// repeats some in a batch). The draws depend only on the seed and the epoch.
/// </summary>
/// <remarks>
/// Rows repeat within an epoch: every batch draws P identities whatever their sizes, so an identity with fewer rows comes
/// round again before a larger one is used up (with MNIST's digits 5 has 863 rows and 1 has 1,127). Keeping every row
/// distinct would end the epoch when the smallest identity runs out, or bias the batches towards the large identities;
/// the training sources the sampler works with (random access, <see cref="BatchSource.Open"/>) read a repeated row again.
/// </remarks>
public sealed class PkBatchSampler : BatchSampler
{
    private readonly int[] _identities;

    /// <summary>Creates the sampler.</summary>
    /// <param name="identities">The identity of every source row (integers ≥ 0), indexed by source row.</param>
    /// <param name="identitiesPerBatch">P, at least 2 (a batch needs negatives).</param>
    /// <param name="examplesPerIdentity">K, at least 2 (a batch needs positives).</param>
    public PkBatchSampler(ReadOnlySpan<int> identities, int identitiesPerBatch, int examplesPerIdentity)
    {
        if (identitiesPerBatch < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(identitiesPerBatch), identitiesPerBatch, "P, the identities per batch, must be at least 2 (a triplet needs a negative).");
        }

        if (examplesPerIdentity < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(examplesPerIdentity), examplesPerIdentity, "K, the examples per identity, must be at least 2 (a triplet needs a positive).");
        }

        for (var i = 0; i < identities.Length; i++)
        {
            if (identities[i] < 0)
            {
                throw new ArgumentException($"The identity of row {i} is {identities[i]}; expected an integer ≥ 0.", nameof(identities));
            }
        }

        _identities = identities.ToArray();
        IdentitiesPerBatch = identitiesPerBatch;
        ExamplesPerIdentity = examplesPerIdentity;
    }

    /// <summary>P, the identities in a mini-batch.</summary>
    public int IdentitiesPerBatch { get; }

    /// <summary>K, the examples of each identity in a mini-batch.</summary>
    public int ExamplesPerIdentity { get; }

    /// <summary>P·K, the mini-batch size this sampler needs.</summary>
    public int BatchSize => IdentitiesPerBatch * ExamplesPerIdentity;

    /// <inheritdoc />
    public override int RowsPerEpoch(ReadOnlySpan<int> rows, int batchSize)
    {
        if (batchSize != BatchSize)
        {
            throw new ArgumentException(
                $"A P×K sampler with P = {IdentitiesPerBatch} and K = {ExamplesPerIdentity} makes mini-batches of {BatchSize} rows; the BatchSize is {batchSize}. Set BatchSize to P·K.");
        }

        var groups = Group(rows);
        foreach (var (identity, members) in groups)
        {
            if (members.Count < 2)
            {
                throw new ArgumentException(
                    $"Identity {identity} has a single training example (row {members[0]}); a P×K batch needs at least 2 examples of every identity "
                    + "(an anchor and a positive). Add examples or leave the identity out of training.");
            }
        }

        if (groups.Count < IdentitiesPerBatch)
        {
            throw new ArgumentException(
                $"The training rows hold {groups.Count} identities; a P×K batch with P = {IdentitiesPerBatch} needs at least {IdentitiesPerBatch}.");
        }

        var batches = rows.Length / BatchSize;
        if (batches == 0)
        {
            throw new ArgumentException($"{rows.Length} training rows make no whole P×K batch of {BatchSize} rows.");
        }

        return batches * BatchSize;
    }

    /// <inheritdoc />
    public override void Arrange(ReadOnlySpan<int> rows, int batchSize, ulong seed, int epoch, Span<int> destination)
    {
        var groups = Group(rows);
        var random = new RandomSource(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)) ^ 0x504B53414D504CUL);
        var queues = groups.Select(g => g.Members.ToArray()).ToArray();
        var next = new int[queues.Length];
        foreach (var q in queues)
        {
            random.Shuffle(q);
        }

        var order = Enumerable.Range(0, queues.Length).ToArray();
        var written = 0;
        while (written + BatchSize <= destination.Length)
        {
            // A partial Fisher–Yates draw of P distinct identities.
            for (var i = 0; i < IdentitiesPerBatch; i++)
            {
                var j = i + random.NextInt(order.Length - i);
                (order[i], order[j]) = (order[j], order[i]);
                var queue = queues[order[i]];
                if (next[order[i]] + ExamplesPerIdentity > queue.Length && queue.Length >= ExamplesPerIdentity)
                {
                    // Not K rows left: start a new round, so that no row repeats within the batch.
                    random.Shuffle(queue);
                    next[order[i]] = 0;
                }

                for (var k = 0; k < ExamplesPerIdentity; k++)
                {
                    if (next[order[i]] == queue.Length)
                    {
                        random.Shuffle(queue);
                        next[order[i]] = 0;
                    }

                    destination[written++] = queue[next[order[i]]++];
                }
            }
        }
    }

    /// <summary>The rows of each identity, in identity order (so the arrangement does not depend on the order of <paramref name="rows"/>'s identities).</summary>
    private List<(int Identity, List<int> Members)> Group(ReadOnlySpan<int> rows)
    {
        var byIdentity = new SortedDictionary<int, List<int>>();
        foreach (var r in rows)
        {
            if ((uint)r >= (uint)_identities.Length)
            {
                throw new ArgumentException($"Training row {r} has no identity: the sampler knows {_identities.Length} rows.");
            }

            if (!byIdentity.TryGetValue(_identities[r], out var list))
            {
                byIdentity[_identities[r]] = list = [];
            }

            list.Add(r);
        }

        foreach (var list in byIdentity.Values)
        {
            list.Sort();
        }

        return [.. byIdentity.Select(p => (p.Key, p.Value))];
    }
}

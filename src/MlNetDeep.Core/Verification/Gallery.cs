namespace MlNetDeep.Verification;

/// <summary>
/// The enrolled identities of one-shot recognition (seed 001, course 4 week 4, "one-shot learning"): each identity is enrolled
/// from one or more encodings f(x) (one photo is enough), and a new encoding is identified (1:K) as the identity of its
/// nearest enrolled encoding by d = ‖f(x1) − f(x2)‖², or as unknown when that distance exceeds the threshold. Adding a person
/// adds an encoding; nothing is retrained.
/// </summary>
public sealed class Gallery
{
    private readonly List<string> _identities = [];
    private readonly List<float[]> _encodings = [];
    private readonly List<int> _owners = [];

    /// <summary>Creates an empty gallery of encodings of <paramref name="dimension"/> values.</summary>
    public Gallery(int dimension)
    {
        if (dimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"The encoding dimension must be at least 1; got {dimension}.");
        }

        Dimension = dimension;
    }

    /// <summary>The length of every encoding.</summary>
    public int Dimension { get; }

    /// <summary>The enrolled identities, in enrolment order.</summary>
    public IReadOnlyList<string> Identities => _identities;

    /// <summary>The number of enrolled encodings (examples).</summary>
    public int Count => _encodings.Count;

    /// <summary>Enrols one example of <paramref name="identity"/> (copied); an identity may be enrolled from several.</summary>
    /// <exception cref="ArgumentException">The identity is empty, or the encoding has the wrong length or a NaN or infinite value.</exception>
    public void Enrol(string identity, ReadOnlySpan<float> encoding)
    {
        ArgumentException.ThrowIfNullOrEmpty(identity);
        if (encoding.Length != Dimension)
        {
            throw new ArgumentException($"The encoding enrolled for '{identity}' has {encoding.Length} values; the gallery holds encodings of {Dimension}.", nameof(encoding));
        }

        for (var k = 0; k < encoding.Length; k++)
        {
            if (!float.IsFinite(encoding[k]))
            {
                throw new ArgumentException($"The encoding enrolled for '{identity}' holds {encoding[k]} at {k}; every value must be finite.", nameof(encoding));
            }
        }

        var owner = _identities.IndexOf(identity);
        if (owner < 0)
        {
            owner = _identities.Count;
            _identities.Add(identity);
        }

        _encodings.Add(encoding.ToArray());
        _owners.Add(owner);
    }

    /// <summary>Identifies <paramref name="encoding"/>: the nearest enrolled identity if its distance is at most <paramref name="threshold"/>, else unknown.</summary>
    /// <param name="encoding">f(x), of <see cref="Dimension"/> values.</param>
    /// <param name="threshold">τ: farther than this from every enrolled example is unknown (+∞ for a closed set).</param>
    public Identification Identify(ReadOnlySpan<float> encoding, double threshold = double.PositiveInfinity)
    {
        if (encoding.Length != Dimension)
        {
            throw new ArgumentException($"The encoding to identify has {encoding.Length} values; the gallery holds encodings of {Dimension}.", nameof(encoding));
        }

        var best = -1;
        var distance = double.PositiveInfinity;
        for (var i = 0; i < _encodings.Count; i++)
        {
            var d = Similarity.Distance(encoding, _encodings[i]);
            if (d < distance)
            {
                (best, distance) = (i, d);
            }
        }

        if (best < 0)
        {
            return new Identification(null, null, double.PositiveInfinity);
        }

        var nearest = _identities[_owners[best]];
        return new Identification(distance <= threshold ? nearest : null, nearest, distance);
    }

    /// <summary>Writes into <paramref name="perIdentity"/> (one value per <see cref="Identities"/> entry) the distance from <paramref name="encoding"/> to each identity's nearest enrolled example.</summary>
    public void Distances(ReadOnlySpan<float> encoding, Span<double> perIdentity)
    {
        if (encoding.Length != Dimension || perIdentity.Length != _identities.Count)
        {
            throw new ArgumentException(
                $"Expected an encoding of {Dimension} values and room for {_identities.Count} distances; got {encoding.Length} and {perIdentity.Length}.");
        }

        perIdentity.Fill(double.PositiveInfinity);
        for (var i = 0; i < _encodings.Count; i++)
        {
            perIdentity[_owners[i]] = Math.Min(perIdentity[_owners[i]], Similarity.Distance(encoding, _encodings[i]));
        }
    }

    /// <summary>Verifies a claim (1:1): is <paramref name="encoding"/> within <paramref name="threshold"/> of an enrolled example of <paramref name="identity"/>?</summary>
    /// <exception cref="KeyNotFoundException">The identity is not enrolled.</exception>
    public (double Distance, bool SameIdentity) Verify(string identity, ReadOnlySpan<float> encoding, double threshold)
    {
        var owner = _identities.IndexOf(identity);
        if (owner < 0)
        {
            throw new KeyNotFoundException($"Identity '{identity}' is not enrolled; the gallery holds {string.Join(", ", _identities)}.");
        }

        var distance = double.PositiveInfinity;
        for (var i = 0; i < _encodings.Count; i++)
        {
            if (_owners[i] == owner)
            {
                distance = Math.Min(distance, Similarity.Distance(encoding, _encodings[i]));
            }
        }

        return (distance, distance <= threshold);
    }
}

using MlNetDeep.Layers;
using MlNetDeep.Serialization;

namespace MlNetDeep.Training;

/// <summary>
/// Copies of a built network (<see cref="NetworkFile.Clone"/>) that share its parameter values and buffers, made when
/// first needed, for running one network on several threads at once: each copy has its own per-call buffers and its own
/// parameter gradients, sees every later change of the network's weights, and takes the network's frozen flags and
/// <see cref="Layer.ComputeInputGradient"/> each time it is handed out. Optionally the network itself is copy 0.
/// </summary>
internal sealed class NetworkCopies
{
    private readonly Layer _network;
    private readonly bool _includesNetwork;
    private Tensor[] _networkTensors;
    private Parameter[] _networkParameters;
    private Layer[] _copies;
    private Tensor[][] _copyTensors;
    private Parameter[][] _copyParameters;
    private long _builds;

    /// <summary>Creates the (so far empty) set of copies of <paramref name="network"/>, a built network.</summary>
    /// <param name="network">The network.</param>
    /// <param name="includesNetwork">True to count the network itself as copy 0.</param>
    public NetworkCopies(Layer network, bool includesNetwork)
    {
        _network = network;
        _includesNetwork = includesNetwork;
        _builds = Layer.Builds;
        _networkParameters = [.. network.Parameters];
        _networkTensors = SharedTensors(network);
        _copies = includesNetwork ? [network] : [];
        _copyTensors = includesNetwork ? [_networkTensors] : [];
        _copyParameters = includesNetwork ? [_networkParameters] : [];
    }

    /// <summary>True once the network turned out not to be one <see cref="NetworkFile.Clone"/> can copy.</summary>
    public bool CannotCopy { get; private set; }

    /// <summary>Copy <paramref name="index"/>, ready if <see cref="Ensure"/> made at least <paramref name="index"/> + 1.</summary>
    public Layer this[int index] => _copies[index];

    /// <summary>The parameters of copy <paramref name="index"/>, in <see cref="Layer.Parameters"/> order.</summary>
    public Parameter[] ParametersOf(int index) => _copyParameters[index];

    /// <summary>
    /// Makes the first <paramref name="count"/> copies and points their value tensors at the network's current storage,
    /// and their frozen flags and input-gradient switch at the network's. False if the network cannot be copied (a layer
    /// that cannot describe itself, or whose description has no registered factory); with <paramref name="mustCopy"/>,
    /// that throws instead.
    /// </summary>
    public bool Ensure(int count, bool mustCopy)
    {
        if (_builds != Layer.Builds)
        {
            // Some layer was built since: if it was one of the network's, its parameters are new tensors (perhaps of
            // other shapes), so take them again and start over with new copies if they no longer match.
            _builds = Layer.Builds;
            _networkParameters = [.. _network.Parameters];
            _networkTensors = SharedTensors(_network);
            if (_copyTensors.Any(t => !SameShapes(t, _networkTensors)))
            {
                _copies = _includesNetwork ? [_network] : [];
                _copyTensors = _includesNetwork ? [_networkTensors] : [];
                _copyParameters = _includesNetwork ? [_networkParameters] : [];
            }
            else if (_includesNetwork)
            {
                _copyTensors[0] = _networkTensors;
                _copyParameters[0] = _networkParameters;
            }
        }

        if (_copies.Length < count)
        {
            if (CannotCopy && !mustCopy)
            {
                return false;
            }

            var copies = new Layer[count];
            var tensors = new Tensor[count][];
            var parameters = new Parameter[count][];
            _copies.CopyTo(copies, 0);
            _copyTensors.CopyTo(tensors, 0);
            _copyParameters.CopyTo(parameters, 0);
            for (var i = _copies.Length; i < count; i++)
            {
                try
                {
                    copies[i] = NetworkFile.Clone(_network);
                }
                catch (Exception e) when (!mustCopy && e is NotSupportedException or InvalidOperationException or InvalidDataException or ArgumentException)
                {
                    // Not describable, or described under a key no factory is registered for.
                    CannotCopy = true;
                    return false;
                }

                tensors[i] = SharedTensors(copies[i]);
                parameters[i] = [.. copies[i].Parameters];
            }

            _copies = copies;
            _copyTensors = tensors;
            _copyParameters = parameters;
        }

        for (var i = _includesNetwork ? 1 : 0; i < count; i++)
        {
            var copy = _copyTensors[i];
            for (var t = 0; t < copy.Length; t++)
            {
                if (!ReferenceEquals(copy[t].Data, _networkTensors[t].Data))
                {
                    copy[t].ShareStorageOf(_networkTensors[t]);
                }
            }

            var parameters = _copyParameters[i];
            for (var p = 0; p < parameters.Length; p++)
            {
                parameters[p].Frozen = _networkParameters[p].Frozen;
            }

            _copies[i].ComputeInputGradient = _network.ComputeInputGradient;
        }

        return true;
    }

    private static bool SameShapes(Tensor[] a, Tensor[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var t = 0; t < a.Length; t++)
        {
            if (!a[t].Shape.SequenceEqual(b[t].Shape))
            {
                return false;
            }
        }

        return true;
    }

    private static Tensor[] SharedTensors(Layer network) =>
        [.. network.Parameters.Select(p => p.Value), .. network.Buffers.Select(b => b.Value)];
}

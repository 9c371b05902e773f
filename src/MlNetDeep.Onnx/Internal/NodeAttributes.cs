using MlNetDeep.Onnx.Protobuf;

namespace MlNetDeep.Onnx.Internal;

/// <summary>Reads one node's attributes, checking their types; every error names the node.</summary>
internal sealed class NodeAttributes
{
    private readonly Dictionary<string, AttributeProto> _byName = new(StringComparer.Ordinal);
    private readonly string _node;

    public NodeAttributes(NodeProto node, string description)
    {
        _node = description;
        foreach (var a in node.Attribute)
        {
            if (!_byName.TryAdd(a.Name, a))
            {
                throw new InvalidDataException($"{description} has the attribute '{a.Name}' twice.");
            }
        }
    }

    public bool Has(string name) => _byName.ContainsKey(name);

    public long Int(string name, long fallback) => Get(name, AttributeProto.Types.AttributeType.Int) is { } a ? a.I : fallback;

    public float Float(string name, float fallback) => Get(name, AttributeProto.Types.AttributeType.Float) is { } a ? a.F : fallback;

    public string String(string name, string fallback) => Get(name, AttributeProto.Types.AttributeType.String) is { } a ? a.S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) => Get(name, AttributeProto.Types.AttributeType.Ints) is { } a ? [.. a.Ints] : null;

    public TensorProto? Tensor(string name) => Get(name, AttributeProto.Types.AttributeType.Tensor)?.T;

    /// <summary>An attribute the importer does not model must be absent or equal to the default it would have.</summary>
    public void RequireDefault(string name, long expected)
    {
        if (Has(name) && Int(name, expected) != expected)
        {
            throw new InvalidDataException($"{_node} has {name} = {Int(name, expected)}; MlNetDeep imports only {name} = {expected}.");
        }
    }

    private AttributeProto? Get(string name, AttributeProto.Types.AttributeType type)
    {
        if (!_byName.TryGetValue(name, out var a))
        {
            return null;
        }

        // Files of IR version 1 have no type field; a value of the right kind is then accepted as it is.
        if (a.Type != type && a.Type != AttributeProto.Types.AttributeType.Undefined)
        {
            throw new InvalidDataException($"{_node} has the attribute '{name}' of type {a.Type}; expected {type}.");
        }

        return a;
    }
}

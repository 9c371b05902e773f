using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Internal;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Segmentation;

/// <summary>
/// Reads a mask column — a vector of H·W keys, UInt32 or Single class labels, row-major — into the [H, W] target of
/// <see cref="Losses.PixelSoftmaxCrossEntropy"/>, class indices 0..K−1 as floats, which moves with the pixels
/// (<see cref="MaskTargets"/>). An unlabelled pixel (the missing key 0, or the options' ignore label) becomes
/// <see cref="Ignored"/> and does not count. A row with a mask of another size or a label out of range is an
/// <see cref="InvalidDataException"/> naming the row, the column, what was expected and what it holds.
/// </summary>
internal sealed class MaskTargetReader : TargetReader
{
    /// <summary>The target value of a pixel that does not count: the loss's ignore label.</summary>
    public const int Ignored = -1;

    private readonly string _column;
    private readonly int _classes;
    private readonly int _height;
    private readonly int _width;
    private readonly uint? _ignoreLabel;

    /// <summary>Creates the reader.</summary>
    /// <param name="column">The mask column.</param>
    /// <param name="classes">K.</param>
    /// <param name="height">H, the height of the images the masks belong to.</param>
    /// <param name="width">W.</param>
    /// <param name="ignoreLabel">The value of unlabelled pixels in a UInt32 or Single mask, if any.</param>
    public MaskTargetReader(string column, int classes, int height, int width, uint? ignoreLabel)
    {
        _column = column;
        _classes = classes;
        _height = height;
        _width = width;
        _ignoreLabel = ignoreLabel;
        Spatial = new MaskTargets(Ignored);
    }

    public override int[] Shape => [_height, _width];

    public override SpatialTargets? Spatial { get; }

    public override IReadOnlyList<DataViewSchema.Column> Columns(DataViewSchema schema)
    {
        var column = schema.GetColumnOrNull(_column) ?? throw new ArgumentException($"The data have no column '{_column}' for the masks.");
        _ = Kind(column);
        return [column];
    }

    public override string Describe(DataViewSchema schema) =>
        string.Create(CultureInfo.InvariantCulture, $"{_column}|{schema[_column].Type}|{_classes}|{_height}x{_width}|{_ignoreLabel}");

    public override TargetGetter Bind(DataViewRow row)
    {
        var column = row.Schema[_column];
        var pixels = _height * _width;
        switch (Kind(column))
        {
            case MaskKind.Key:
            case MaskKind.UInt32:
                var key = Kind(column) == MaskKind.Key;
                var labels = row.GetGetter<VBuffer<uint>>(column);
                VBuffer<uint> buffer = default;
                var values = new uint[pixels];
                return (destination, index, role) =>
                {
                    labels(ref buffer);
                    CheckLength(buffer.Length, index, role);
                    buffer.CopyTo(values);
                    for (var p = 0; p < pixels; p++)
                    {
                        var v = values[p];
                        destination[p] = key
                            ? v == 0 ? Ignored : v <= _classes ? v - 1 : throw OutOfRange(index, role, p, v.ToString(CultureInfo.InvariantCulture), key)
                            : v == _ignoreLabel ? Ignored : v < _classes ? v : throw OutOfRange(index, role, p, v.ToString(CultureInfo.InvariantCulture), key);
                    }
                };
            default:
                var floats = row.GetGetter<VBuffer<float>>(column);
                VBuffer<float> floatBuffer = default;
                var floatValues = new float[pixels];
                return (destination, index, role) =>
                {
                    floats(ref floatBuffer);
                    CheckLength(floatBuffer.Length, index, role);
                    floatBuffer.CopyTo(floatValues);
                    for (var p = 0; p < pixels; p++)
                    {
                        var v = floatValues[p];
                        destination[p] = _ignoreLabel is { } ignore && v == ignore ? Ignored
                            : v >= 0 && v < _classes && v == MathF.Floor(v) ? v
                            : throw OutOfRange(index, role, p, v.ToString(CultureInfo.InvariantCulture), key: false);
                    }
                };
        }
    }

    /// <summary>How a mask column holds its labels, or an exception naming the column and what it should be.</summary>
    public static MaskKind Kind(DataViewSchema.Column column) => column.Type switch
    {
        VectorDataViewType { ItemType: KeyDataViewType { RawType: var raw } } when raw == typeof(uint) => MaskKind.Key,
        VectorDataViewType { ItemType: var item } when item == NumberDataViewType.UInt32 => MaskKind.UInt32,
        VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Single => MaskKind.Single,
        _ => throw new ArgumentException(
            $"Mask column '{column.Name}' must be a vector of keys (use mlContext.Transforms.Conversion.MapValueToKey), of UInt32 or of Single class labels, H·W values a row; it is {column.Type}."),
    };

    private void CheckLength(int length, long row, string role)
    {
        if (length != _height * _width)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"Row {row} of the {role} data: mask column '{_column}' has {length} values; expected {_height * _width}, one label per pixel of the {_height}×{_width} image."));
        }
    }

    private InvalidDataException OutOfRange(long row, string role, int pixel, string value, bool key) => new(string.Create(CultureInfo.InvariantCulture,
        $"Row {row} of the {role} data: mask column '{_column}' has label {value} at pixel {pixel} (row {pixel / _width}, column {pixel % _width}); " +
        $"expected {Expected(key)}."));

    private string Expected(bool key)
    {
        if (key)
        {
            return string.Create(CultureInfo.InvariantCulture, $"a key in 1..{_classes}, or the missing key 0 for an unlabelled pixel");
        }

        return _ignoreLabel is { } ignore
            ? string.Create(CultureInfo.InvariantCulture, $"a class index in 0..{_classes - 1} or the ignore label {ignore}")
            : string.Create(CultureInfo.InvariantCulture, $"a class index in 0..{_classes - 1}");
    }
}

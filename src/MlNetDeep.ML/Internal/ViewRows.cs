using Microsoft.ML;
using Microsoft.ML.Data;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// One pass over a data view: a cursor that reads the features of the current row into a span (checked: length, finite
/// values) and its label as a target, with errors that name the row and, when the view has text columns such as an
/// image path, their values. A row whose features cannot be read (ML.NET's getter throws: a missing or undecodable image)
/// is an <see cref="InvalidDataException"/>, or with <see cref="ReadSettings.SkipUnreadableRows"/> a logged skip.
/// </summary>
internal sealed class ViewRows : IDisposable
{
    /// <summary>Rows read between two looks at the cancellation token: cheap, and a cancelled read stops within this many rows.</summary>
    public const int CancellationInterval = 256;

    /// <summary>Text columns whose values a message names, at most this many.</summary>
    private const int NamedTextColumns = 3;

    private readonly DataViewRowCursor _cursor;
    private readonly ReadSettings _settings;
    private readonly string _role;
    private readonly string? _featureName;
    private readonly ValueGetter<VBuffer<float>>? _vector;
    private readonly ValueGetter<float>? _scalar;
    private readonly TargetGetter? _target;
    private readonly (string Name, ValueGetter<ReadOnlyMemory<char>> Get)[] _text;
    private VBuffer<float> _buffer;

    /// <summary>Opens a cursor over <paramref name="features"/> (when given), the columns of <paramref name="targets"/> (when given) and the view's text columns.</summary>
    public ViewRows(IDataView data, DataViewSchema.Column? features, TargetReader? targets, string role, ReadSettings settings)
    {
        _settings = settings;
        _role = role;
        settings.Cancellation.ThrowIfCancellationRequested();
        var text = features is null ? [] : data.Schema.Where(c => !c.IsHidden && c.Type is TextDataViewType).Take(NamedTextColumns).ToArray();
        var columns = new List<DataViewSchema.Column>(text);
        if (features is not null)
        {
            // ML.NET computes a cursor's rows ahead on worker threads when every requested column can be cached (a
            // number, text or vector): a failing row then kills the cursor in MoveNext, at an unknown row, and rows the
            // pass skips get decoded anyway. A column that cannot be cached (such as LoadImages' image) turns that off,
            // down to the transform that makes it: each row is then computed here, when its getter is called, so a bad
            // row is caught as itself and rows left out of a pass are never decoded. Its getter is never called.
            columns.AddRange(data.Schema.Where(c => !c.IsHidden && c.Type is not (PrimitiveDataViewType or VectorDataViewType)));
        }
        if (features is { } f)
        {
            columns.Add(f);
        }

        if (targets is not null)
        {
            columns.AddRange(targets.Columns(data.Schema));
        }

        _cursor = data.GetRowCursor(columns);
        if (features is { } column)
        {
            _featureName = column.Name;
            if (column.Type is VectorDataViewType)
            {
                _vector = _cursor.GetGetter<VBuffer<float>>(column);
            }
            else
            {
                _scalar = _cursor.GetGetter<float>(column);
            }
        }

        _target = targets?.Bind(_cursor);

        _text = [.. text.Select(c => (c.Name, _cursor.GetGetter<ReadOnlyMemory<char>>(c)))];
    }

    /// <summary>The 0-based index of the current row in the view.</summary>
    public long Row { get; private set; } = -1;

    /// <summary>Moves to the next row; false at the end. Checks the cancellation token every <see cref="CancellationInterval"/> rows.</summary>
    public bool MoveNext()
    {
        bool moved;
        try
        {
            moved = _cursor.MoveNext();
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            var inner = e.InnerException ?? e;
            throw new InvalidDataException(
                $"Reading the {_role} data failed at row {Row + 1} or a few rows after it (ML.NET computes rows ahead on worker threads when the view has no image column, so the row is not known): {inner.Message}",
                e);
        }

        if (!moved)
        {
            return false;
        }

        Row++;
        if (Row % CancellationInterval == CancellationInterval - 1)
        {
            _settings.Cancellation.ThrowIfCancellationRequested();
        }

        return true;
    }

    /// <summary>
    /// Reads the current row's features into <paramref name="destination"/>. False when the row could not be read and
    /// <see cref="ReadSettings.SkipUnreadableRows"/> is set (the skip is logged unless <paramref name="quiet"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The row could not be read; the message names the row and its text columns.</exception>
    /// <exception cref="ArgumentException">The row has a vector of another length, or a NaN or infinite value.</exception>
    public bool TryReadFeatures(Span<float> destination, bool quiet = false)
    {
        try
        {
            if (_vector is not null)
            {
                _vector(ref _buffer);
            }
            else
            {
                var v = 0f;
                _scalar!(ref v);
                destination[0] = v;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            var message = $"Row {Row} of the {_role} data could not be read{Describe()}: column '{_featureName}': {e.Message}";
            if (!_settings.SkipUnreadableRows)
            {
                throw new InvalidDataException(message + " Set SkipUnreadableRows to skip such rows.", e);
            }

            if (!quiet)
            {
                _settings.Warning(message + " Skipped (SkipUnreadableRows).");
            }

            return false;
        }

        if (_vector is not null)
        {
            if (_buffer.Length != destination.Length)
            {
                throw new ArgumentException(
                    $"Column '{_featureName}' holds {_buffer.Length} values at row {Row} of the {_role} data{(_buffer.Length == 0 ? " (a missing or empty vector)" : string.Empty)}; expected {destination.Length}, the column's declared size.");
            }

            _buffer.CopyTo(destination);
        }

        CheckFinite(destination);
        return true;
    }

    /// <summary>Writes the current row's target into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The target's columns hold a value that cannot be a target (a missing label, a bad box...); the message names the row.</exception>
    public void ReadTarget(Span<float> destination) => _target!(destination, Row, _role);

    /// <summary>The current row's scalar target (class index, 0/1 or value).</summary>
    public float ReadLabel()
    {
        Span<float> value = stackalloc float[1];
        ReadTarget(value);
        return value[0];
    }

    public void Dispose() => _cursor.Dispose();

    /// <summary>" (ImagePath: '...')": the current row's text columns, for messages.</summary>
    private string Describe()
    {
        if (_text.Length == 0)
        {
            return string.Empty;
        }

        var parts = new List<string>();
        foreach (var (name, get) in _text)
        {
            try
            {
                ReadOnlyMemory<char> value = default;
                get(ref value);
                parts.Add($"{name}: '{value}'");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                parts.Add($"{name}: unreadable");
            }
        }

        return $" ({string.Join(", ", parts)})";
    }

    private void CheckFinite(ReadOnlySpan<float> values)
    {
        // A sum of magnitudes is finite unless some value is not (or the sum overflows, which the scan then clears).
        if (float.IsFinite(TensorPrimitives.SumOfMagnitudes(values)))
        {
            return;
        }

        for (var j = 0; j < values.Length; j++)
        {
            if (!float.IsFinite(values[j]))
            {
                throw new ArgumentException(
                    $"The {_role} data hold {values[j]} in column '{_featureName}' at row {Row}, slot {j}; every feature must be finite.");
            }
        }
    }
}

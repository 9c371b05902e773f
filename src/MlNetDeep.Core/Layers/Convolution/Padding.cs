using System.Globalization;

namespace MlNetDeep.Layers;

/// <summary>
/// The zero padding of a convolution (seed 000 §2.1, seed 001 week 1): <see cref="Valid"/> (none, "丢弃方式"),
/// <see cref="Same"/> (TensorFlow-style "补齐方式": output size ⌈n/s⌉, with the odd extra row or column on the
/// bottom/right), a symmetric p on every side, or explicit top, bottom, left and right amounts.
/// The default value is <see cref="Valid"/>; an <see cref="int"/> converts implicitly to <see cref="Symmetric(int)"/>.
/// </summary>
/// <remarks>
/// For a transposed convolution, <see cref="Same"/> makes the output n·s: the layer is then the adjoint of a
/// "same" convolution of an n·s image with the same kernel and stride.
/// </remarks>
public readonly record struct Padding
{
    private Padding(bool isSame, int top, int bottom, int left, int right)
    {
        IsSame = isSame;
        Top = top;
        Bottom = bottom;
        Left = left;
        Right = right;
    }

    /// <summary>No padding: the output shrinks to ⌊(n − d(f−1) − 1)/s⌋ + 1.</summary>
    public static Padding Valid => default;

    /// <summary>TensorFlow's "same": output ⌈n/s⌉, padding max((out−1)·s + d(f−1) + 1 − n, 0) split evenly, the extra on the bottom/right.</summary>
    public static Padding Same => new(true, 0, 0, 0, 0);

    /// <summary>True for <see cref="Same"/>, whose amounts depend on the input size and are resolved when the layer is built.</summary>
    public bool IsSame { get; }

    /// <summary>Rows of zeros above the input (0 for <see cref="Same"/>, which resolves them at build time).</summary>
    public int Top { get; }

    /// <summary>Rows of zeros below the input.</summary>
    public int Bottom { get; }

    /// <summary>Columns of zeros left of the input.</summary>
    public int Left { get; }

    /// <summary>Columns of zeros right of the input.</summary>
    public int Right { get; }

    /// <summary>The same padding <paramref name="p"/> on every side (p = (f−1)/2 keeps the size at stride 1).</summary>
    /// <param name="p">Rows and columns of zeros on each side; not negative.</param>
    public static Padding Symmetric(int p) => Explicit(p, p, p, p);

    /// <summary>Padding <paramref name="height"/> above and below and <paramref name="width"/> left and right.</summary>
    /// <param name="height">Rows of zeros above and below; not negative.</param>
    /// <param name="width">Columns of zeros left and right; not negative.</param>
    public static Padding Symmetric(int height, int width) => Explicit(height, height, width, width);

    /// <summary>Explicit, possibly asymmetric, padding.</summary>
    /// <param name="top">Rows of zeros above the input.</param>
    /// <param name="bottom">Rows of zeros below the input.</param>
    /// <param name="left">Columns of zeros left of the input.</param>
    /// <param name="right">Columns of zeros right of the input.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative.</exception>
    public static Padding Explicit(int top, int bottom, int left, int right)
    {
        CheckAmount(top, nameof(top));
        CheckAmount(bottom, nameof(bottom));
        CheckAmount(left, nameof(left));
        CheckAmount(right, nameof(right));
        return new Padding(false, top, bottom, left, right);
    }

    /// <summary>Converts p to <see cref="Symmetric(int)"/>, so that <c>padding: 2</c> reads naturally.</summary>
    /// <param name="p">Rows and columns of zeros on each side.</param>
    public static implicit operator Padding(int p) => Symmetric(p);

    /// <summary>Parses the text of <see cref="ToString"/>: <c>valid</c>, <c>same</c> or <c>top,bottom,left,right</c>.</summary>
    /// <param name="text">The text.</param>
    /// <exception cref="FormatException">The text is none of those forms.</exception>
    public static Padding Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text)
        {
            case "valid":
                return Valid;
            case "same":
                return Same;
        }

        var parts = text.Split(',');
        var amounts = new int[4];
        if (parts.Length != 4
            || !parts.Select((p, i) => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out amounts[i])).All(ok => ok))
        {
            throw new FormatException($"'{text}' is not a padding: expected 'valid', 'same' or 'top,bottom,left,right' with non-negative integers.");
        }

        return Explicit(amounts[0], amounts[1], amounts[2], amounts[3]);
    }

    /// <summary><c>valid</c>, <c>same</c> or <c>top,bottom,left,right</c> (invariant culture); <see cref="Parse"/> reads it back.</summary>
    public override string ToString() =>
        IsSame ? "same"
        : this == Valid ? "valid"
        : string.Create(CultureInfo.InvariantCulture, $"{Top},{Bottom},{Left},{Right}");

    /// <summary>
    /// The zeros before and after the input along one axis: the explicit amounts, or for <see cref="Same"/>
    /// the TensorFlow rule for an input of size <paramref name="n"/>.
    /// </summary>
    internal (int Before, int After) Resolve(bool vertical, int n, int kernel, int stride, int dilation)
    {
        if (!IsSame)
        {
            return vertical ? (Top, Bottom) : (Left, Right);
        }

        var output = (n + stride - 1) / stride;
        var total = Math.Max(((output - 1) * stride) + (dilation * (kernel - 1)) + 1 - n, 0);
        return (total / 2, total - (total / 2));
    }

    private static void CheckAmount(int value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, "Padding cannot be negative.");
        }
    }
}

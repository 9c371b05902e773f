namespace MlNetDeep.Models;

/// <summary>The hidden-layer activation of the ready-made dense models.</summary>
public enum Activation
{
    /// <summary>max(0, z).</summary>
    ReLU,

    /// <summary>max(0.01z, z).</summary>
    LeakyReLU,

    /// <summary>Learned-slope ReLU.</summary>
    PReLU,

    /// <summary>tanh(z).</summary>
    Tanh,

    /// <summary>σ(z).</summary>
    Sigmoid,

    /// <summary>Exponential linear unit.</summary>
    ELU,

    /// <summary>Scaled ELU (self-normalising).</summary>
    SELU,
}

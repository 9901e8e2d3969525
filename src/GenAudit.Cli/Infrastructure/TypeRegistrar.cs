using Spectre.Console.Cli;

namespace GenAudit.Cli.Infrastructure;

/// <summary>
/// A minimal container for Spectre.Console.Cli: registered services (the last registration wins;
/// IEnumerable&lt;T&gt; gets all of them), otherwise the public constructor with the most parameters.
/// </summary>
sealed class TypeRegistrar : ITypeRegistrar, ITypeResolver
{
    readonly Dictionary<Type, List<Func<object>>> _factories = new();

    public void Register(Type service, Type implementation) => Add(service, () => Construct(implementation));
    public void RegisterInstance(Type service, object implementation) => Add(service, () => implementation);
    public void RegisterLazy(Type service, Func<object> factory) => Add(service, factory);
    public ITypeResolver Build() => this;

    void Add(Type service, Func<object> factory)
    {
        if (!_factories.TryGetValue(service, out var list)) _factories[service] = list = new List<Func<object>>();
        list.Add(factory);
    }

    public object? Resolve(Type? type)
    {
        if (type is null) return null;
        if (_factories.TryGetValue(type, out var factories) && factories.Count > 0) return factories[^1]();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            var element = type.GetGenericArguments()[0];
            var items = _factories.TryGetValue(element, out var all) ? all.Select(f => f()).ToArray() : [];
            var array = Array.CreateInstance(element, items.Length);
            for (int i = 0; i < items.Length; i++) array.SetValue(items[i], i);
            return array;
        }
        return type.IsAbstract || type.IsInterface ? null : Construct(type);
    }

    object Construct(Type type)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var arguments = constructor.GetParameters().Select(p => Resolve(p.ParameterType)).ToArray();
        return constructor.Invoke(arguments);
    }
}

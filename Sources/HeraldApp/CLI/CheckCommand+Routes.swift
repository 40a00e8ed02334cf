import HeraldCore

extension CheckCommand {
    /// Prints the routing rules and their problems (see ``RoutingTable/problems(providers:)``);
    /// returns how many problems there are.
    static func checkRoutes(_ configuration: Configuration, output: Output) -> Int {
        let names = configuration.providerNames
        let table = configuration.routing
        let problems = table.problems(providers: names)
        let order = Channel.allCases.map { "\($0.rawValue): \((names[$0] ?? []).joined(separator: ", "))" }.joined(separator: "; ")
        for (index, rule) in table.rules.enumerated() {
            output.write("route routes[\(index)]: \(rule.summary) -> \(rule.providers.joined(separator: ", "))\n")
        }
        for problem in problems { output.write("problem: \(problem)\n") }
        if table.rules.isEmpty {
            output.write("routes: none; every message goes through its channel's providers in URL order (\(order))\n")
        } else {
            output.write("routes: \(table.rules.count) rule(s), \(problems.count) problem(s); without a match, URL order (\(order))\n")
        }
        return problems.count
    }
}

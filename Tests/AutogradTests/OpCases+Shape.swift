import Autograd

/// Op-table rows for the Shape ops.
let shapeCases: [OpCase] = []

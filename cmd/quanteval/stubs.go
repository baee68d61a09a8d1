package main

// Commands still being built; each moves to its own file when it lands. (None left.)

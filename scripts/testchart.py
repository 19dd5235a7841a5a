"""The throwaway Helm chart the fixture scripts have helm render: `write_chart` writes one."""

import os


def write_chart(directory, name, values, templates):
    """Write a Helm chart `name` (apiVersion v2, version 0.1.0) in `directory`/`name`, with
    `values` as its values.yaml and `templates` (file name: text) under templates/; return
    its path."""
    chart = os.path.join(directory, name)
    os.makedirs(os.path.join(chart, "templates"))
    with open(os.path.join(chart, "Chart.yaml"), "w") as f:
        f.write(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    with open(os.path.join(chart, "values.yaml"), "w") as f:
        f.write(values)
    for file, text in templates.items():
        with open(os.path.join(chart, "templates", file), "w") as f:
            f.write(text)
    return chart

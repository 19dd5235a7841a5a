{# Named templates of the kube-controller-manager subchart. Its pod uses the helpers the
   control-plane subcharts share (control-plane.*, in the parent chart's _helpers.tpl). #}
